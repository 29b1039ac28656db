using ServerlessReco.Domain;
using ServerlessReco.EventLog;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>One event as received: its exact bytes and, for Event Hubs, where and when it was enqueued.</summary>
public readonly record struct IncomingEvent(ReadOnlyMemory<byte> Raw, DateTimeOffset? EnqueuedAt = null, long? SequenceNumber = null);

/// <summary>
/// The one ingestion path behind POST /api/events and the Event Hubs trigger: validate and pseudonymise, store
/// accepted events in the event log (training) and the events table (real-time), dead-letter the rest.
///
/// Exactly once in effect, under redelivery and partial failure. The events-table row is the dedup marker: its key
/// (user pseudonym, event time, hash of the event id) is derived from the event, so a redelivery maps to the same row.
/// - The log is written FIRST and idempotently: the log file's name is a hash of its events' ids, so writing a batch
///   again rewrites the same bytes; where a redelivery is batched differently the log holds the event twice and
///   training counts each event id once (ReadDistinctAsync).
/// - Only after the log write succeeded are the table rows ADDED (never overwritten, <see cref="RecentEventsTable.AddAsync"/>).
///   An existing row therefore proves the event is in the log and the table; an event without a row is written
///   (again) in full.
/// - An event whose row this call added is "accepted"; one whose row already existed is "duplicate". Of concurrent or
///   repeated deliveries of one event exactly one adds the row, and every other one's flush has written the log
///   before finding the row (or the owner's copy of it, when both are in the same flush).
/// - Group commit (<see cref="GroupCommitter"/>): the accepted events of concurrent requests are written by one
///   writer as one flush (a log blob per event date, per-user table transactions), and each request waits for the
///   flush holding its events. A flush that fails fails every request in it: none of their events is acknowledged.
///   Two requests in one flush holding the same event (same row): the one queued first reports "accepted", the
///   other "duplicate".
/// - Nothing is reported before all writes of the batch succeeded; any failure throws, the caller answers non-2xx
///   and the sender (storefront or Functions host) retries the whole batch. Rows added before the failure make
///   their events "duplicate" on the retry; a lost answer is thus never counted twice.
/// - Redelivery is recognised as long as the row exists. Where rows are removed (erasure deletes a user's rows;
///   any trimming of the events table), a later redelivery of such an event is accepted again, re-adding its row and
///   appending it to the log once more: training still counts each event id once (and leaves erased users out),
///   so it stays exactly once in effect. Likewise the same event id sent again with another user or timestamp is a
///   different row and is accepted; training keeps the first.
/// </summary>
public sealed class IngestPipeline : IAsyncDisposable
{
    private readonly DataStore _store;
    private readonly EventValidator _validator;
    private readonly TimeProvider _time;
    private readonly DeadLetterStore _deadLetters;
    private readonly GroupCommitter _commits;
    private readonly Action<IReadOnlyList<InteractionEvent>>? _stored;

    /// <param name="flushTimeout">How long one coalesced write of the log and the rows may take before it fails.</param>
    /// <param name="stored">Told of every flush once it is stored, before any request in it is answered (serving on the same instance).</param>
    public IngestPipeline(DataStore store, EventValidator validator, TimeProvider time, GroupCommitLimits limits, TimeSpan flushTimeout, Action<IReadOnlyList<InteractionEvent>>? stored = null)
    {
        _stored = stored;
        _store = store;
        _validator = validator;
        _time = time;
        _deadLetters = new DeadLetterStore(store.Blobs);
        _commits = new GroupCommitter(WriteAsync, limits, flushTimeout);
    }

    public EventValidator Validator => _validator;

    private static readonly Dictionary<string, string[]> UnusableRecommendationId = new()
    {
        ["recommendationId"] = [$"is not a recommendation id this service issues ({Feedback.RecommendationIds.Length} lower-case hex digits); the event is stored without attribution"],
    };

    /// <param name="source">"http" or "eventhub"; <paramref name="partition"/> is the Event Hubs partition.</param>
    public async Task<IngestReport> IngestAsync(IReadOnlyList<IncomingEvent> batch, string source, string? partition, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        var results = new EventResult[batch.Count];
        var accepted = new List<(int Index, InteractionEvent Event)>(batch.Count);
        var letters = new List<DeadLetter>();
        var seen = new Dictionary<string, (int Index, InteractionEvent Event)>(StringComparer.Ordinal);
        long acceptedBytes = 0;

        for (int i = 0; i < batch.Count; i++)
        {
            var incoming = batch[i];
            var check = _validator.Validate(incoming.Raw, now, incoming.EnqueuedAt);
            var errors = check.Errors;
            if (check.Event is { } e && seen.TryGetValue(e.EventId, out var earlier))
            {
                // A resend of the same event is a duplicate. The same id for another event (another user, time,
                // item...) is refused: storing both would give serving two events where training, which counts each
                // id once, keeps one; keeping either silently would lose the other without a word to the sender.
                if (e with { EnqueuedAt = null } == earlier.Event with { EnqueuedAt = null })
                {
                    results[i] = new EventResult(i, e.EventId, EventStatus.Duplicate);
                    continue;
                }
                errors = new() { ["eventId"] = [$"names another event earlier in this request (index {earlier.Index}): an event id must name one event"] };
            }
            if (errors is not null || check.Event is not { } valid)
            {
                results[i] = new EventResult(i, check.EventId, EventStatus.Rejected, errors);
                var origin = new DeadLetterSource(source, i, partition, incoming.SequenceNumber, incoming.EnqueuedAt);
                letters.Add(DeadLetterStore.Create(now, origin, errors!, incoming.Raw.Span));
            }
            else
            {
                seen[valid.EventId] = (i, valid);
                accepted.Add((i, valid));
                acceptedBytes += incoming.Raw.Length;
            }
        }

        var deadLettered = letters.Count > 0 ? _deadLetters.WriteAsync(letters, ct) : Task.CompletedTask;
        bool[] first;
        try
        {
            // Coalesced with other requests' events; returns once the log and the rows are stored.
            first = await _commits.CommitAsync(accepted.Select(a => a.Event).ToList(), acceptedBytes, ct).ConfigureAwait(false);
        }
        finally
        {
            // Never leave the dead-letter write unobserved; its failure fails the batch like any other.
            await deadLettered.ConfigureAwait(false);
        }

        for (int k = 0; k < accepted.Count; k++)
        {
            var (index, e) = accepted[k];
            results[index] = new EventResult(index, e.EventId, first[k] ? EventStatus.Accepted : EventStatus.Duplicate,
                Warnings: e.UnattributedReason is null ? null : UnusableRecommendationId);
        }
        int acceptedCount = first.Count(f => f);
        return new IngestReport(acceptedCount, batch.Count - acceptedCount - letters.Count, letters.Count, results);
    }

    /// <summary>
    /// One flush: log first, then the rows, so that an added row proves the event is in the log (see above); the rows'
    /// call also records the shoppers in the activity feed, and its failure fails the flush like any other.
    /// </summary>
    private async Task<bool[]> WriteAsync(IReadOnlyList<InteractionEvent> events, CancellationToken flushTimeout)
    {
        // Requests stop waiting after their write budget, the flush does not; once the breaker opens it stops too, or
        // against storage that never answers it would hold up every flush behind it for two attempt timeouts, past
        // the outage's end. Whatever it stored stays stored: the retry finds those events and reports them duplicate.
        using var down = CancellationTokenSource.CreateLinkedTokenSource(flushTimeout, _store.Breaker?.UntilOpened ?? CancellationToken.None);
        var ct = down.Token;
        await _store.EventLog.AppendAsync(events, ct).ConfigureAwait(false);
        var added = await _store.RecentEvents.AddAsync(events, ct).ConfigureAwait(false);
        _stored?.Invoke(events);
        return added;
    }

    public ValueTask DisposeAsync() => _commits.DisposeAsync();
}
