using System.Threading.Channels;
using ServerlessReco.Domain;

namespace ServerlessReco.Ingest;

/// <summary>
/// How much one coalesced flush may hold. A request is never split, so one larger than the bounds is flushed alone.
/// </summary>
/// <param name="MaxEvents">
/// Two full requests (500 events each): more per flush barely raises throughput but makes every waiting request
/// wait for a longer flush.
/// </param>
/// <param name="MaxBytes">Bounds the memory of the event-log blob built for one flush (bytes of the events as received).</param>
public sealed record GroupCommitLimits(int MaxEvents = 1_000, long MaxBytes = 4 * 1024 * 1024)
{
    /// <summary>Whether a flush that already took <paramref name="requests"/> requests can take one more.</summary>
    public bool Admits(int requests, int events, long bytes, int moreEvents, long moreBytes) =>
        requests == 0 || (events + moreEvents <= MaxEvents && bytes + moreBytes <= MaxBytes);
}

/// <summary>
/// The rows one flush writes for the requests it took: every (user, time, event id) once, the first request that
/// holds it owning it. Only the owner can report "accepted"; a later request in the same flush holding the same
/// event reports "duplicate", exactly as if it had arrived after the owner's flush and found the row.
/// </summary>
public sealed class FlushPlan
{
    private readonly int[][] _rowOf;
    private readonly bool[][] _owns;

    private FlushPlan(List<InteractionEvent> rows, int[][] rowOf, bool[][] owns)
    {
        Rows = rows;
        _rowOf = rowOf;
        _owns = owns;
    }

    public IReadOnlyList<InteractionEvent> Rows { get; }

    /// <summary>Each request's events must have distinct ids (<see cref="IngestPipeline"/> sees to it).</summary>
    public static FlushPlan Of(IReadOnlyList<IReadOnlyList<InteractionEvent>> requests)
    {
        var rows = new List<InteractionEvent>();
        // The events table's row key is derived from exactly these three, so they decide "same row".
        var index = new Dictionary<(string User, long Ticks, string EventId), int>();
        var rowOf = new int[requests.Count][];
        var owns = new bool[requests.Count][];
        for (int r = 0; r < requests.Count; r++)
        {
            var events = requests[r];
            rowOf[r] = new int[events.Count];
            owns[r] = new bool[events.Count];
            for (int k = 0; k < events.Count; k++)
            {
                var e = events[k];
                var key = (e.User, e.Timestamp.UtcTicks, e.EventId);
                if (!index.TryGetValue(key, out var row))
                {
                    row = rows.Count;
                    index.Add(key, row);
                    rows.Add(e);
                    owns[r][k] = true;
                }
                rowOf[r][k] = row;
            }
        }
        return new FlushPlan(rows, rowOf, owns);
    }

    /// <summary>Per request, per event: whether this flush added its row (<paramref name="added"/> is per row of <see cref="Rows"/>).</summary>
    public bool[][] Outcomes(bool[] added)
    {
        if (added.Length != Rows.Count) throw new ArgumentException($"Expected {Rows.Count} outcomes, got {added.Length}.", nameof(added));
        var result = new bool[_rowOf.Length][];
        for (int r = 0; r < _rowOf.Length; r++)
        {
            result[r] = new bool[_rowOf[r].Length];
            for (int k = 0; k < result[r].Length; k++) result[r][k] = _owns[r][k] && added[_rowOf[r][k]];
        }
        return result;
    }
}

/// <summary>
/// Group commit: concurrent requests hand their accepted events to one writer, which stores everything that
/// waited as one flush (one event-log blob per event date, per-user table transactions) and then answers each
/// request with the outcome of its own events. A flush starts as soon as the previous one ended, so a lone request
/// is written at once and the batch grows only when requests arrive faster than storage answers; there is no timer.
/// A failed flush fails every request it took and acknowledges none of them; requests queued behind it go into
/// the next flush on their own merits.
/// </summary>
public sealed class GroupCommitter : IAsyncDisposable
{
    private sealed class Waiting(IReadOnlyList<InteractionEvent> events, long bytes, CancellationToken cancellation)
    {
        public IReadOnlyList<InteractionEvent> Events => events;
        public long Bytes => bytes;
        public CancellationToken Cancellation => cancellation;
        // Continuations run off the writer, so one slow request cannot hold up the next flush.
        public TaskCompletionSource<bool[]> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Unbounded: what waits is bounded by the requests in flight (the Functions host caps concurrent requests), and
    /// each request is bounded by the endpoints' limits.
    /// </summary>
    private readonly Channel<Waiting> _queue = Channel.CreateUnbounded<Waiting>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Func<IReadOnlyList<InteractionEvent>, CancellationToken, Task<bool[]>> _write;
    private readonly GroupCommitLimits _limits;
    private readonly TimeSpan _flushTimeout;
    private readonly Task _writer;

    /// <param name="write">Stores the distinct rows of one flush and says per row whether it was added (false: it existed).</param>
    /// <param name="flushTimeout">A flush that takes longer fails, so the writer never hangs on a dead storage account.</param>
    public GroupCommitter(Func<IReadOnlyList<InteractionEvent>, CancellationToken, Task<bool[]>> write, GroupCommitLimits limits, TimeSpan flushTimeout)
    {
        _write = write;
        _limits = limits;
        _flushTimeout = flushTimeout;
        _writer = Task.Run(RunAsync);
    }

    /// <summary>
    /// Waits until the flush holding <paramref name="events"/> (distinct ids) is stored; per event, whether this
    /// call added its row. Throws when the flush failed: then none of the events may be acknowledged.
    /// </summary>
    /// <param name="bytes">The events' size as received, for <see cref="GroupCommitLimits.MaxBytes"/>.</param>
    public Task<bool[]> CommitAsync(IReadOnlyList<InteractionEvent> events, long bytes, CancellationToken ct = default)
    {
        if (events.Count == 0) return Task.FromResult(Array.Empty<bool>());
        var waiting = new Waiting(events, bytes, ct);
        if (!_queue.Writer.TryWrite(waiting)) throw new ObjectDisposedException(nameof(GroupCommitter));
        return waiting.Outcome.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var taken = new List<Waiting>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            taken.Clear();
            int events = 0;
            long bytes = 0;
            while (reader.TryPeek(out var next) && _limits.Admits(taken.Count, events, bytes, next.Events.Count, next.Bytes))
            {
                reader.TryRead(out _);
                // A request that gave up (timeout, client gone) has answered already: its events are not written.
                if (next.Cancellation.IsCancellationRequested)
                {
                    next.Outcome.TrySetCanceled(next.Cancellation);
                    continue;
                }
                taken.Add(next);
                events += next.Events.Count;
                bytes += next.Bytes;
            }
            if (taken.Count > 0) await FlushAsync(taken).ConfigureAwait(false);
        }
    }

    private async Task FlushAsync(List<Waiting> taken)
    {
        try
        {
            var plan = FlushPlan.Of(taken.Select(w => w.Events).ToList());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_flushTimeout);
            var outcomes = plan.Outcomes(await _write(plan.Rows, timeout.Token).ConfigureAwait(false));
            for (int i = 0; i < taken.Count; i++) taken[i].Outcome.TrySetResult(outcomes[i]);
        }
        catch (Exception e)
        {
            foreach (var w in taken) w.Outcome.TrySetException(e);
        }
    }

    /// <summary>
    /// Called once the server stopped taking requests. A flush still in progress is cancelled and anything still
    /// waiting fails at once: nothing is acknowledged that was not stored.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
