using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>
/// Right to erasure for one shopper. The events table rows go at once; the event log is immutable training
/// history, so a tombstone makes every later training run leave the user's events out and the files age out
/// with retention. Dead letters hold raw rejected input and are kept only for their own (short) retention.
/// </summary>
public sealed class UserErasure(DataStore store, Pseudonymizer pseudonymizer, TimeProvider time)
{
    public const string Note = "the event log keeps the raw events until retention; training excludes them from the next run";

    public async Task<ErasureReport> EraseAsync(string userId, CancellationToken ct = default)
    {
        var user = pseudonymizer.Pseudonymize(userId);
        // Tombstone first: if the table deletion then fails the caller retries, and training already excludes the user.
        await store.EventLog.RecordTombstoneAsync(user, time.GetUtcNow(), ct).ConfigureAwait(false);
        var deleted = await store.RecentEvents.DeleteUserAsync(user, ct).ConfigureAwait(false);
        return new ErasureReport(user, deleted, TombstoneRecorded: true, Note);
    }
}
