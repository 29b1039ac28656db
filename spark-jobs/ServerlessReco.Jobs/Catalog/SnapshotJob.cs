using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Catalog;

/// <summary>
/// Writes the catalogue snapshot serving instances start from, and deletes change-feed partitions older than the
/// retention (serving instances whose position is older read the items table instead).
/// </summary>
public static class SnapshotJob
{
    public sealed record Result(int Items, long Bytes, DateTimeOffset FeedPosition, int FeedRowsDeleted);

    public static async Task<Result> RunAsync(DataStore store, TimeSpan retention, TextWriter output, CancellationToken ct)
    {
        var items = store.ItemTable;
        var clock = Stopwatch.StartNew();
        var takenAt = DateTimeOffset.UtcNow;
        var scan = await items.ScanAsync(ct).ConfigureAwait(false);
        var scanned = clock.Elapsed;
        var snapshot = new CatalogSnapshot(scan.FeedPosition, takenAt, scan.Items);
        var bytes = snapshot.Serialize();
        // Decoded before it goes live, the way a starting instance will: the time is what its cold start pays.
        var decoding = Stopwatch.StartNew();
        var check = CatalogSnapshot.Deserialize(bytes);
        var decoded = decoding.Elapsed;
        if (check.Items.Count != scan.Items.Count)
            throw new InvalidDataException($"The snapshot decoded to {check.Items.Count} items instead of {scan.Items.Count}; not written.");
        await store.Blobs.PutAsync(Containers.Catalog, CatalogSnapshot.BlobPath, new BinaryData(bytes), overwrite: true, ct).ConfigureAwait(false);
        // Pruned after the new snapshot is in place, so a starting instance always finds a snapshot the feed still covers.
        int deleted = await items.Changes.DeleteBeforeAsync(takenAt - retention, ct).ConfigureAwait(false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"catalogue snapshot: {scan.Items.Count:N0} items, {bytes.Length / 1024.0 / 1024.0:F1} MiB, table read in {scanned.TotalSeconds:F1} s, decoded in {decoded.TotalMilliseconds:F0} ms, feed position {scan.FeedPosition:O} -> {store.Description}{Containers.Catalog}/{CatalogSnapshot.BlobPath}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"change feed: {deleted:N0} rows older than {(takenAt - retention):O} deleted ({retention.TotalHours:F0} h retention)"));
        return new Result(scan.Items.Count, bytes.Length, scan.FeedPosition, deleted);
    }
}
