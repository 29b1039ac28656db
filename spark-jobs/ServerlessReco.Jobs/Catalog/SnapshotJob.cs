using System.Diagnostics;
using ServerlessReco.Catalog;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Catalog;

/// <summary>
/// Writes the catalogue snapshot serving instances start from, and deletes change-feed partitions older than the
/// retention (serving instances whose position is older read the items table instead).
/// </summary>
public static class SnapshotJob
{
    /// <param name="Location">Where the snapshot was written: the store and the blob path.</param>
    /// <param name="Decoded">How long decoding it took: what a starting serving instance pays for it.</param>
    /// <param name="FeedRowsDeleted">Change-feed rows older than <paramref name="PrunedBefore"/> deleted.</param>
    public sealed record Result(
        int Items, long Bytes, DateTimeOffset FeedPosition, int FeedRowsDeleted,
        string Location, TimeSpan TableRead, TimeSpan Decoded, DateTimeOffset PrunedBefore, TimeSpan Retention);

    public static async Task<Result> RunAsync(DataStore store, TimeSpan retention, CancellationToken ct)
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
        var prunedBefore = takenAt - retention;
        int deleted = await items.Changes.DeleteBeforeAsync(prunedBefore, ct).ConfigureAwait(false);
        return new Result(scan.Items.Count, bytes.Length, scan.FeedPosition, deleted,
            $"{store.Description}{Containers.Catalog}/{CatalogSnapshot.BlobPath}", scanned, decoded, prunedBefore, retention);
    }
}
