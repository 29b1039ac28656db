using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>
/// Right to erasure for one shopper, up to now: the events-table rows go at once; the event log is immutable
/// training history without retention, so a tombstone (pseudonym and time, kept as long as the log) makes
/// training and serving leave out every event of the user that occurred up to the erasure. Events that occur
/// later are new data, used by both. Dead letters hold raw rejected input and are kept only for their own
/// (short) retention.
/// </summary>
public sealed class UserErasure(DataStore store, Pseudonymizer pseudonymizer, TimeProvider time)
{
    public const string ServingEffect =
        "Recommendations leave out the shopper's events up to erasedAt and any model row trained before it: on this instance now, on the others at their next model poll.";
    public const string NextTrainingEffect =
        "The event log keeps the raw events, but every training run from the next on leaves out the shopper's events up to erasedAt, so the next published model holds nothing of them.";
    public const string LaterEventsEffect =
        "Events that occur after erasedAt are new data: serving and training use them. Send none for a shopper who objects to processing.";

    public async Task<ErasureReport> EraseAsync(string userId, CancellationToken ct = default)
    {
        var user = pseudonymizer.Pseudonymize(userId);
        var erasedAt = time.GetUtcNow();
        // Tombstone first: if the table deletion then fails the caller retries, and training and serving already leave the user out.
        await store.EventLog.RecordTombstoneAsync(user, erasedAt, ct).ConfigureAwait(false);
        var deleted = await store.RecentEvents.DeleteUserAsync(user, ct).ConfigureAwait(false);
        return new ErasureReport(user, erasedAt, deleted, TombstoneRecorded: true, ServingEffect, NextTrainingEffect, LaterEventsEffect);
    }
}
