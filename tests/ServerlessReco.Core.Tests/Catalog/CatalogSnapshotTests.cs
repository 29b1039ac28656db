using System.Text.Json;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;

namespace ServerlessReco.Tests.Catalog;

public class CatalogSnapshotTests
{
    private static readonly DateTimeOffset Position = new(2026, 11, 23, 12, 0, 5, TimeSpan.Zero);

    public static CatalogSnapshot Sample() => new(Position, Position.AddSeconds(12),
    [
        new VersionedItem(new CatalogItem
        {
            Id = "a/b\\c#d?e\u0001 ☕",
            Category = "küche",
            SourceLanguage = "de",
            Title = "Kaffeemühle – 咖啡研磨机 🫘",
            Description = "line\nbreak\ttab \"quoted\"",
            Markets = ["DE", "AT", "CH"],
            InStock = false,
            Prices = new() { ["DE"] = 19.99m, ["CH"] = 21.5m },
            Titles = new() { ["fr"] = "Moulin à café", ["ja"] = "コーヒーミル" },
            TitlesSource = "0123abcd",
            UpdatedAt = new DateTimeOffset(2026, 11, 1, 8, 30, 0, TimeSpan.FromHours(2)),
        }, CatalogChangeFeed.VersionKey("W/\"datetime'2026-11-23T12%3A00%3A00.1234567Z'\"")),
        new VersionedItem(new CatalogItem { Id = "", Markets = [] }, 0),
        new VersionedItem(new CatalogItem { Id = "85123A", Title = "WHITE HANGING HEART T-LIGHT HOLDER", Markets = ["GB"] }, ulong.MaxValue),
    ]);

    private static string Json(CatalogItem item) => JsonSerializer.Serialize(item, DomainJsonContext.Default.CatalogItem);

    [Fact]
    public void Round_trips_every_field_hostile_ids_and_non_ascii_text()
    {
        var original = Sample();
        var read = CatalogSnapshot.Deserialize(original.Serialize());
        Assert.Equal(original.FeedPosition, read.FeedPosition);
        Assert.Equal(original.TakenAt, read.TakenAt);
        Assert.Equal(original.Items.Select(i => (Json(i.Item), i.Version)), read.Items.Select(i => (Json(i.Item), i.Version)));
        Assert.Null(read.Items[1].Item.Prices);
        Assert.Null(read.Items[1].Item.Titles);
        Assert.Null(read.Items[1].Item.TitlesSource);
        Assert.Equal(TimeSpan.FromHours(2), read.Items[0].Item.UpdatedAt.Offset);
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        var bytes = Sample().Serialize();
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<InvalidDataException>(() => CatalogSnapshot.Deserialize(bytes.AsSpan(0, length)));
    }

    [Fact]
    public void Every_flipped_byte_is_refused()
    {
        var bytes = Sample().Serialize();
        for (int i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x20;
            Assert.Throws<InvalidDataException>(() => CatalogSnapshot.Deserialize(damaged));
        }
    }

    [Fact]
    public void Other_files_and_other_format_versions_are_refused_with_the_reason()
    {
        var notSnapshot = Assert.Throws<InvalidDataException>(() => CatalogSnapshot.Deserialize("{\"items\": []} and some more text to pass the length"u8.ToArray()));
        Assert.Contains("not a snapshot", notSnapshot.Message, StringComparison.Ordinal);

        var bytes = Sample().Serialize();
        bytes[8] = 2;
        var future = Assert.Throws<InvalidDataException>(() => CatalogSnapshot.Deserialize(bytes));
        Assert.Contains("format 2", future.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_catalogue_round_trips()
    {
        var read = CatalogSnapshot.Deserialize(new CatalogSnapshot(Position, Position, []).Serialize());
        Assert.Empty(read.Items);
        Assert.Equal(Position, read.FeedPosition);
    }
}
