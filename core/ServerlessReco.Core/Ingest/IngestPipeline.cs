using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>One event as received: its exact bytes and, for Event Hubs, where and when it was enqueued.</summary>
public readonly record struct IncomingEvent(ReadOnlyMemory<byte> Raw, DateTimeOffset? EnqueuedAt = null, long? SequenceNumber = null);

/// <summary>
/// The one ingestion path behind POST /api/events and the Event Hubs trigger: validate and pseudonymise, store
/// accepted events in the event log (training) and the events table (real-time), dead-letter the rest.
///
/// Exactly once in effect, under redelivery and partial failure:
/// - Every write is idempotent. The log file's name is a hash of its events' ids and the table row key is
///   derived from the event, so writing an event again rewrites the same bytes; where a redelivery is batched
///   differently the log holds the event twice and training counts each event id once (ReadDistinctAsync).
/// - The dedup marker (<see cref="EventIdMarkers"/>) is written LAST, after the log and the table succeeded. A
///   marker therefore proves the event is stored; an event without one is written (again) in full.
/// - Nothing is reported before all writes of the batch succeeded; any failure throws, the caller answers
///   non-2xx and the sender (storefront or Functions host) retries the whole batch. Events whose writes had
///   already succeeded are simply rewritten; those whose marker was added are reported as duplicates.
/// - Of concurrent or repeated deliveries of one event, exactly one adds its marker and reports "accepted";
///   every other reports "duplicate", and each has itself stored the event before saying so.
/// </summary>
public sealed class IngestPipeline(DataStore store, EventValidator validator, TimeProvider time)
{
    private readonly EventIdMarkers _markers = new(store.Table("eventids"));
    private readonly DeadLetterStore _deadLetters = new(store.Blobs);

    public EventValidator Validator => validator;

    /// <param name="source">"http" or "eventhub"; <paramref name="partition"/> is the Event Hubs partition.</param>
    public async Task<IngestReport> IngestAsync(IReadOnlyList<IncomingEvent> batch, string source, string? partition, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var results = new EventResult[batch.Count];
        var accepted = new List<(int Index, InteractionEvent Event)>(batch.Count);
        var letters = new List<DeadLetter>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (int i = 0; i < batch.Count; i++)
        {
            var incoming = batch[i];
            var check = validator.Validate(incoming.Raw, now, incoming.EnqueuedAt);
            if (check.Event is not { } e)
            {
                results[i] = new EventResult(i, check.EventId, EventStatus.Rejected, check.Errors);
                var origin = new DeadLetterSource(source, i, partition, incoming.SequenceNumber, incoming.EnqueuedAt);
                letters.Add(DeadLetterStore.Create(now, origin, check.Errors!, incoming.Raw.Span));
            }
            else if (!seen.Add(e.EventId))
            {
                results[i] = new EventResult(i, e.EventId, EventStatus.Duplicate);
            }
            else
            {
                accepted.Add((i, e));
            }
        }

        var events = accepted.Select(a => a.Event).ToList();
        await Task.WhenAll(
            letters.Count > 0 ? _deadLetters.WriteAsync(letters, ct) : Task.CompletedTask,
            events.Count > 0 ? store.EventLog.AppendAsync(events, ct) : Task.CompletedTask,
            events.Count > 0 ? store.RecentEvents.UpsertAsync(events, ct) : Task.CompletedTask).ConfigureAwait(false);
        var first = events.Count > 0 ? await _markers.AddAsync(events, ct).ConfigureAwait(false) : [];

        for (int k = 0; k < accepted.Count; k++)
        {
            var (index, e) = accepted[k];
            results[index] = new EventResult(index, e.EventId, first[k] ? EventStatus.Accepted : EventStatus.Duplicate);
        }
        int acceptedCount = first.Count(f => f);
        return new IngestReport(acceptedCount, batch.Count - acceptedCount - letters.Count, letters.Count, results);
    }
}
