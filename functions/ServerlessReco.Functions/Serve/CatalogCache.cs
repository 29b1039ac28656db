using System.Collections.Concurrent;
using System.Diagnostics;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The catalogue as serving sees it. Loaded from the snapshot blob at start (a table scan only when there is no
/// usable snapshot), kept current by reading the change feed for other instances' writes, and updated in place
/// by this instance's own catalogue writes so stock and availability changes take effect for the very next
/// request. The whole items table is read again only when the feed cannot cover the gap, when a poll brings
/// more changes than point reads are worth, and every <see cref="ServeSettings.CatalogReconcileInterval"/>.
/// </summary>
public sealed class CatalogCache(DataStore store, ServeSettings settings, TimeProvider time, ILogger<CatalogCache> logger)
{
    /// <summary>An item and the version (<see cref="CatalogChangeFeed.VersionKey"/>) it was read at; null for this instance's own writes.</summary>
    private readonly record struct Entry(CatalogItem Item, ulong? Version);

    private volatile ConcurrentDictionary<string, Entry> _items = new(StringComparer.Ordinal);
    // Written only by the one refresh loop (UpdateAsync is never run twice at once).
    private DateTimeOffset _position;
    private DateTimeOffset _lastFullRead;

    public int Count => _items.Count;
    /// <summary>When the catalogue was last brought up to date (snapshot, scan or feed poll); null before the first load.</summary>
    public DateTimeOffset? LoadedAt { get; private set; }
    /// <summary>Full reads of the items table since start (the snapshot does not count).</summary>
    public int FullScans { get; private set; }

    public bool TryGet(string itemId, out CatalogItem item)
    {
        bool found = _items.TryGetValue(itemId, out var entry);
        item = entry.Item;
        return found;
    }

    /// <summary>
    /// Applies items just written to the table by this instance. Their version is unknown here, so the feed rows
    /// of these writes make the next poll read them back once; that read also repairs a poll that raced with this.
    /// </summary>
    public void Apply(IReadOnlyList<CatalogItem> items)
    {
        var current = _items;
        foreach (var item in items) current[item.Id] = new Entry(item, null);
    }

    /// <summary>The first call loads the catalogue; later ones bring it up to date.</summary>
    public async Task UpdateAsync(CancellationToken ct)
    {
        if (LoadedAt is null) await LoadAsync(ct).ConfigureAwait(false);
        else if (time.GetUtcNow() - _lastFullRead > settings.CatalogReconcileInterval) await ScanAsync("reconciliation", ct).ConfigureAwait(false);
        else if (!CatalogChangeFeed.Covers(_position, time.GetUtcNow(), settings.CatalogFeedRetention)) await ScanAsync("the change feed no longer covers the gap since " + _position.ToString("O"), ct).ConfigureAwait(false);
        else await CatchUpAsync(ct).ConfigureAwait(false);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        var blob = await store.Blobs.GetAsync(Containers.Catalog, CatalogSnapshot.BlobPath, ct).ConfigureAwait(false);
        var read = Stopwatch.GetElapsedTime(started);
        CatalogSnapshot? snapshot = null;
        try
        {
            snapshot = blob is null ? null : CatalogSnapshot.Deserialize(blob.ToMemory().Span);
        }
        catch (InvalidDataException e)
        {
            logger.LogError("Catalogue snapshot {Container}/{Path} refused: {Reason} Reading the items table instead; the next snapshot job run replaces it.",
                Containers.Catalog, CatalogSnapshot.BlobPath, e.Message);
        }
        if (snapshot is null)
        {
            await ScanAsync("no usable snapshot", ct).ConfigureAwait(false);
            return;
        }
        if (!CatalogChangeFeed.Covers(snapshot.FeedPosition, time.GetUtcNow(), settings.CatalogFeedRetention))
        {
            await ScanAsync($"the snapshot taken at {snapshot.TakenAt:O} is older than the change feed keeps", ct).ConfigureAwait(false);
            return;
        }
        Install(snapshot.Items, snapshot.FeedPosition);
        // The first load gates the first answer with items (cold start).
        logger.LogInformation("Catalogue loaded: {Count} items from the snapshot taken at {TakenAt:O} in {LoadMs:F0} ms ({Bytes} bytes read in {ReadMs:F0} ms), {StartMs:F0} ms after process start",
            snapshot.Items.Count, snapshot.TakenAt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, blob!.ToMemory().Length, read.TotalMilliseconds,
            ProcessClock.MillisecondsSinceStart());
        await CatchUpAsync(ct).ConfigureAwait(false);
    }

    private async Task ScanAsync(string reason, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        var scan = await store.ItemTable.ScanAsync(ct).ConfigureAwait(false);
        bool first = LoadedAt is null;
        Install(scan.Items, scan.FeedPosition);
        FullScans++;
        // The first load gates the first answer with items (cold start); a later scan is worth a line too: it is the expensive path.
        logger.LogInformation("Catalogue loaded: {Count} items from the items table ({Reason}) in {LoadMs:F0} ms{After}",
            scan.Items.Count, reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            first ? $", {ProcessClock.MillisecondsSinceStart():F0} ms after process start" : "");
    }

    private void Install(IReadOnlyList<VersionedItem> items, DateTimeOffset position)
    {
        var all = new ConcurrentDictionary<string, Entry>(Environment.ProcessorCount, items.Count, StringComparer.Ordinal);
        foreach (var (item, version) in items) all[item.Id] = new Entry(item, version);
        _items = all;
        _position = position;
        _lastFullRead = time.GetUtcNow();
        LoadedAt = _lastFullRead;
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        var batch = await store.ItemTable.Changes.ReadSinceAsync(_position, ct).ConfigureAwait(false);
        var current = _items;
        // Rows of versions already held (read again because positions overlap, or the write that made the snapshot) cost nothing.
        var stale = batch.Changes
            .Where(change => !(current.TryGetValue(change.Id, out var held) && held.Version == CatalogChangeFeed.VersionKey(change.Version)))
            .Select(change => change.Id)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // A point read costs several times what one row of a scan costs: past this many, reading everything is cheaper.
        if (stale.Count > Math.Max(500, current.Count / 20))
        {
            await ScanAsync($"{stale.Count} changed items in the change feed", ct).ConfigureAwait(false);
            return;
        }
        await Parallel.ForEachAsync(stale, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (id, token) =>
        {
            if (await store.ItemTable.GetVersionedAsync(id, token).ConfigureAwait(false) is { } read) current[id] = new Entry(read.Item, read.Version);
            else current.TryRemove(id, out _);
        }).ConfigureAwait(false);
        _position = batch.NextPosition;
        LoadedAt = time.GetUtcNow();
        if (stale.Count > 0)
            logger.LogDebug("Catalogue change feed: {Count} items read again, position {Position:O}", stale.Count, _position);
    }
}
