using System.Net;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Logging;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Serve;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Catalog;

/// <summary>Snapshot, change feed and the serving cache that follows them, on azurite.</summary>
public class CatalogFeedTests
{
    private static readonly TimeSpan Retention = CatalogChangeFeed.DefaultRetention;

    private static CatalogItem Item(string id, string title = "Mug", bool inStock = true) => new()
    {
        Id = id, Category = "kitchen", Title = title, Markets = ["GB", "DE"], InStock = inStock, UpdatedAt = DateTimeOffset.UtcNow,
    };

    private static readonly string[] HostileIds = ["85123A", "a/b\\c#d?e", "Kaffeemühle ☕", "%2F", "a/../b", new string('é', 100)];

    private static List<CatalogItem> HostileItems() =>
    [
        .. HostileIds.Select((id, i) => Item(id, i % 2 == 0 ? "Kaffeemühle – 咖啡研磨机 🫘" : "WHITE HANGING HEART T-LIGHT HOLDER") with
        {
            Titles = new() { ["fr"] = "Moulin à café", ["ja"] = "コーヒーミル" },
            Prices = new() { ["DE"] = 19.99m },
        }),
    ];

    private static string ToJson(CatalogItem item) => JsonSerializer.Serialize(item, DomainJsonContext.Default.CatalogItem);

    private static CatalogCache Cache(DataStore store, ILogger<CatalogCache>? logger = null, ServeOptions? settings = null) =>
        new(store, settings ?? new ServeOptions(), TimeProvider.System, logger ?? new ListLogger());

    private static Task<SnapshotJob.Result> SnapshotAsync(DataStore store) => SnapshotJob.RunAsync(store, Retention, CancellationToken.None);

    [Fact]
    public async Task Snapshot_job_writes_the_items_table_as_it_is_hostile_ids_and_non_ascii_titles_included()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync(HostileItems());
        var result = await SnapshotAsync(store);
        Assert.Equal(HostileIds.Length, result.Items);

        var snapshot = CatalogSnapshot.Deserialize((await store.Blobs.GetAsync(Containers.Catalog, CatalogSnapshot.BlobPath))!.ToArray());
        var table = (await store.ItemTable.ScanAsync()).Items.OrderBy(i => i.Item.Id, StringComparer.Ordinal).Select(i => (ToJson(i.Item), i.Version));
        Assert.Equal(table, snapshot.Items.OrderBy(i => i.Item.Id, StringComparer.Ordinal).Select(i => (ToJson(i.Item), i.Version)));
        Assert.Equal(HostileIds.Order(StringComparer.Ordinal), snapshot.Items.Select(i => i.Item.Id).Order(StringComparer.Ordinal));
        Assert.Contains(snapshot.Items, i => i.Item.Title == "Kaffeemühle – 咖啡研磨机 🫘" && i.Item.Titles!["ja"] == "コーヒーミル");
        Assert.True(snapshot.FeedPosition <= DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task The_feed_names_each_write_with_the_version_the_items_table_reads_back()
    {
        var store = TestStorage.NewStore();
        var before = (await store.ItemTable.ScanAsync()).FeedPosition;
        await store.Catalog.UpsertAsync(HostileItems());
        var patched = await store.Catalog.UpdateAsync(HostileIds[1], item => item with { InStock = false });
        Assert.NotNull(patched);

        var batch = await store.ItemTable.Changes.ReadSinceAsync(before);
        var scanned = (await store.ItemTable.ScanAsync()).Items.ToDictionary(i => i.Item.Id, i => i.Version);
        foreach (var id in HostileIds)
        {
            var stored = await store.ItemTable.GetVersionedAsync(id);
            Assert.Contains(batch.Changes, c => c.Id == id && CatalogChangeFeed.VersionKey(c.Version) == stored!.Value.Version);
            // A scan (and so a snapshot) names versions the same way: a reader skips what it already holds.
            Assert.Equal(stored!.Value.Version, scanned[id]);
        }
        // The upsert and the patch of one item are two rows: neither write hides the other.
        Assert.Equal(2, batch.Changes.Count(c => c.Id == HostileIds[1]));
    }

    [Fact]
    public async Task A_second_instance_sees_a_stock_change_made_through_the_first_within_one_feed_poll_without_a_scan()
    {
        var store = await ServeWorld.PublishedStoreAsync();
        await SnapshotAsync(store);
        await using var writer = await ServeWorld.StartAsync(store);
        var reader = Cache(store);
        await reader.UpdateAsync(CancellationToken.None);
        Assert.True(reader.TryGet("K1", out var before) && before.InStock);

        var patch = await writer.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/api/items/K1") { Content = Json("{\"inStock\": false}") });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var put = await writer.Client.PutAsync("/api/items", Json("[{\"id\": \"N/1\", \"category\": \"kitchen\", \"sourceLanguage\": \"de\", \"title\": \"Neue Pfanne\", \"markets\": [\"DE\"], \"inStock\": true}]"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(1, (await put.ReadJsonAsync()).GetProperty("upserted").GetInt32());

        await reader.UpdateAsync(CancellationToken.None);
        Assert.True(reader.TryGet("K1", out var after));
        Assert.False(after.InStock);
        Assert.True(reader.TryGet("N/1", out var added) && added.Title == "Neue Pfanne");
        Assert.Equal(0, reader.FullScans);
    }

    [Fact]
    public async Task A_second_handler_stops_recommending_an_item_the_first_marked_out_of_stock()
    {
        var store = await ServeWorld.PublishedStoreAsync();
        await SnapshotAsync(store);
        await using var first = await ServeWorld.StartAsync(store);
        await using var second = await ServeWorld.StartAsync(store);
        Assert.Equal(["K1", "K4", "K5"], ServeWorld.ItemsOf(await ServeWorld.GetJsonAsync(second, "/api/recommendations/alice?market=DE&count=3")));

        var patch = await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/api/items/K1") { Content = Json("{\"inStock\": false}") });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var cache = second.Services.GetRequiredService<CatalogCache>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((!cache.TryGet("K1", out var k1) || k1.InStock) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(["K4", "K5", "K6"], ServeWorld.ItemsOf(await ServeWorld.GetJsonAsync(second, "/api/recommendations/alice?market=DE&count=3")));
        Assert.Equal(0, cache.FullScans);
    }

    [Fact]
    public async Task Start_is_the_snapshot_plus_the_changes_written_since()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a"), Item("b"), Item("c", "Teapot")]);
        await SnapshotAsync(store);
        await store.Catalog.UpdateAsync("a", item => item with { InStock = false });
        await store.Catalog.UpsertAsync([Item("c", "Teapot") with { Titles = new() { ["de"] = "Teekanne" } }, Item("d")]);

        var cache = Cache(store);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(0, cache.FullScans);
        Assert.Equal(4, cache.Count);
        Assert.True(cache.TryGet("a", out var a) && !a.InStock);
        Assert.True(cache.TryGet("b", out var b) && b.InStock);
        Assert.True(cache.TryGet("c", out var c) && c.Titles!["de"] == "Teekanne");
        Assert.True(cache.TryGet("d", out _));
    }

    [Fact]
    public async Task Without_a_snapshot_the_items_table_is_read()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a"), Item("b")]);
        var logger = new ListLogger();
        var cache = Cache(store, logger);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, cache.FullScans);
        Assert.Equal(2, cache.Count);
        Assert.Contains(logger.Lines, l => l.Contains("no usable snapshot", StringComparison.Ordinal));

        // Later writes arrive through the feed, without another scan.
        await store.Catalog.UpdateAsync("b", item => item with { InStock = false });
        await cache.UpdateAsync(CancellationToken.None);
        Assert.True(cache.TryGet("b", out var b) && !b.InStock);
        Assert.Equal(1, cache.FullScans);
    }

    [Fact]
    public async Task A_snapshot_older_than_the_feed_keeps_is_not_used()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a"), Item("b")]);
        var old = DateTimeOffset.UtcNow.AddDays(-3);
        var stale = new CatalogSnapshot(old, old, [new VersionedItem(Item("ghost"), 1)]);
        await store.Blobs.PutAsync(Containers.Catalog, CatalogSnapshot.BlobPath, new BinaryData(stale.Serialize()), overwrite: true);

        var logger = new ListLogger();
        var cache = Cache(store, logger);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, cache.FullScans);
        Assert.False(cache.TryGet("ghost", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.Contains(logger.Lines, l => l.Contains("older than the change feed keeps", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_running_instance_whose_position_the_feed_no_longer_covers_reads_the_table()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a")]);
        await SnapshotAsync(store);
        // With a retention this short, any position is out of reach by the next poll.
        var cache = Cache(store, settings: new ServeOptions { CatalogFeedRetentionHours = (2 * CatalogChangeFeed.WriterClockSlack).TotalHours });
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, cache.FullScans);
        await store.Catalog.UpsertAsync([Item("b")]);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(2, cache.FullScans);
        Assert.True(cache.TryGet("b", out _));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("foreign")]
    public async Task A_damaged_snapshot_is_refused_with_a_clear_log_and_the_table_is_read(string damage)
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a"), Item("b", "Kaffeemühle")]);
        await SnapshotAsync(store);
        var bytes = (await store.Blobs.GetAsync(Containers.Catalog, CatalogSnapshot.BlobPath))!.ToArray();
        byte[] damaged = damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "flipped" => [.. bytes[..40], (byte)(bytes[40] ^ 1), .. bytes[41..]],
            _ => "{\"version\": \"v1\", \"items\": [\"not a snapshot at all\"]}"u8.ToArray(),
        };
        await store.Blobs.PutAsync(Containers.Catalog, CatalogSnapshot.BlobPath, new BinaryData(damaged), overwrite: true);

        var logger = new ListLogger();
        var cache = Cache(store, logger);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, cache.FullScans);
        Assert.True(cache.TryGet("b", out var b) && b.Title == "Kaffeemühle");
        var line = Assert.Single(logger.Lines, l => l.StartsWith("Error: Catalogue snapshot catalog/snapshot.bin refused", StringComparison.Ordinal));
        Assert.Contains(damage == "foreign" ? "not a snapshot" : "truncated or damaged", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_poll_with_more_changes_than_point_reads_are_worth_reads_the_table()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("seed")]);
        await SnapshotAsync(store);
        var cache = Cache(store);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(0, cache.FullScans);

        await store.Catalog.UpsertAsync([.. Enumerable.Range(0, 501).Select(i => Item("bulk" + i))]);
        await cache.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, cache.FullScans);
        Assert.Equal(502, cache.Count);
    }

    [Fact]
    public async Task Reconciliation_reads_the_table_and_finds_a_write_whose_feed_row_was_lost()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([Item("a")]);
        await SnapshotAsync(store);
        var cache = Cache(store, settings: new ServeOptions { CatalogReconcileMinutes = TimeSpan.FromDays(1).TotalMinutes });
        await cache.UpdateAsync(CancellationToken.None);

        // A writer whose feed table cannot be written (an invalid name): the item is stored, the write reports failure.
        var broken = new TableItemCatalog(store.Tables!, store.Prefix + "items", "invalid_table_name");
        await Assert.ThrowsAsync<RequestFailedException>(() => broken.UpsertAsync([Item("lost", "Only in the table")]));
        Assert.NotNull(await store.Catalog.GetAsync("lost"));

        await cache.UpdateAsync(CancellationToken.None);
        Assert.False(cache.TryGet("lost", out _));
        var reconciling = Cache(store, settings: new ServeOptions { CatalogReconcileMinutes = 0 });
        await reconciling.UpdateAsync(CancellationToken.None);
        Assert.Equal(0, reconciling.FullScans);
        await reconciling.UpdateAsync(CancellationToken.None);
        Assert.Equal(1, reconciling.FullScans);
        Assert.True(reconciling.TryGet("lost", out var lost) && lost.Title == "Only in the table");
    }

    [Fact]
    public async Task The_snapshot_job_deletes_feed_partitions_older_than_the_retention_and_keeps_the_rest()
    {
        var store = TestStorage.NewStore();
        var table = store.Prefix + "catalogchanges";
        var oldFeed = new CatalogChangeFeed(store.Tables!, table, new FixedClock(DateTimeOffset.UtcNow.AddDays(-3)));
        await oldFeed.RecordAsync([new ItemChange("old/1", "v1"), new ItemChange("old/2", "v1")]);
        await store.Catalog.UpsertAsync([Item("recent")]);

        var result = await SnapshotAsync(store);
        Assert.Equal(2, result.FeedRowsDeleted);
        var left = await store.ItemTable.Changes.ReadSinceAsync(DateTimeOffset.UtcNow.AddDays(-4));
        Assert.Equal(["recent"], left.Changes.Select(c => c.Id));
        Assert.Equal(0, (await SnapshotAsync(store)).FeedRowsDeleted);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class ListLogger : ILogger<CatalogCache>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
