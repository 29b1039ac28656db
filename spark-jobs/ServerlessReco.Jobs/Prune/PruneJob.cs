using ServerlessReco.EventLog;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Prune;

/// <summary>
/// `prune`: retention. Dead letters hold the senders' raw events, raw user ids included, so they are kept only long
/// enough to fix and replay them; events-table rows are real-time history and the dedup markers of ingestion; the
/// shopper activity feed is kept for <see cref="ShopperActivityFeed.Retention"/>, which serving assumes.
/// </summary>
public static class PruneJob
{
    public sealed record Report(int DeadLettersDeleted, int DeadLettersUndated, int EventRowsDeleted, int ActivityRowsDeleted);

    public static async Task<Report> RunAsync(DataStore store, int deadLetterDays, int eventsDays, TimeProvider time, CancellationToken ct)
    {
        if (deadLetterDays < 1 || eventsDays < 1) throw new ArgumentException("Retention is at least one day.");
        var now = time.GetUtcNow();
        var (deleted, undated) = await new DeadLetterStore(store.Blobs).DeleteOlderThanAsync(now.AddDays(-deadLetterDays), ct).ConfigureAwait(false);
        // A directory store has no tables.
        var rows = store.Tables is null ? 0 : await store.RecentEvents.DeleteOlderThanAsync(now.AddDays(-eventsDays), ct).ConfigureAwait(false);
        var activity = store.Tables is null ? 0 : await store.Activity.DeleteBeforeAsync(now - ShopperActivityFeed.Retention, ct).ConfigureAwait(false);
        return new Report(deleted, undated, rows, activity);
    }
}
