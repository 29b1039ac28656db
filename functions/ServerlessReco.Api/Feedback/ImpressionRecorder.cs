using System.Threading.Channels;
using ServerlessReco.Feedback;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Feedback;

/// <summary>
/// Takes impressions off the request path: a request only tries to put its answer's impressions in a bounded
/// in-memory queue (never waits; when full the answer's impressions are dropped whole and counted, so no answer is
/// logged in part), and this service writes what is queued as one file per flush interval (<see cref="ImpressionLog"/>).
/// A failed write is retried at the next interval while the queue keeps its bound, so a storage outage costs
/// impressions, never requests. Stopping the host flushes the rest. What a crashed instance loses: the impressions
/// of its last flush interval, at most the queue's capacity.
/// </summary>
public sealed class ImpressionRecorder : BackgroundService
{
    /// <summary>One file holds about this many impressions; a backlog after an outage is written as several.</summary>
    public const int MaxBatch = 10_000;

    // Unbounded as a channel: the bound is counted in impressions (_queued), not in answers.
    private readonly Channel<ShownItems> _queue = Channel.CreateUnbounded<ShownItems>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ImpressionLog _log;
    private readonly FeedbackOptions _options;
    private readonly ILogger<ImpressionRecorder> _logger;
    // A restarted or second instance never writes over another's files.
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly List<ShownItems> _pending = [];
    private int _pendingImpressions;
    private long _sequence, _dropped, _written, _failedWrites, _queued;

    public ImpressionRecorder(DataStore store, FeedbackOptions options, ILogger<ImpressionRecorder> logger)
    {
        _options = options;
        _logger = logger;
        _log = new ImpressionLog(store.Blobs);
    }

    public long Dropped => Interlocked.Read(ref _dropped);
    public long Written => Interlocked.Read(ref _written);
    /// <summary>Impressions waiting in memory (queued, or taken for a write that has not succeeded yet).</summary>
    public long QueueDepth => Interlocked.Read(ref _queued);

    /// <summary>Called on the request path: never blocks, never throws.</summary>
    public void Record(ShownItems shown)
    {
        if (!_options.RecordImpressions) return;
        int count = shown.Items.Length;
        // Reserve room first, so concurrent requests never take the queue past its capacity together.
        if (Interlocked.Add(ref _queued, count) <= _options.QueueCapacity && _queue.Writer.TryWrite(shown)) return;
        Interlocked.Add(ref _queued, -count);
        Interlocked.Add(ref _dropped, count);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Graceful shutdown: what is queued goes out now, within the host's shutdown timeout.
        await FlushAsync(cancellationToken);
        if (Dropped > 0) _logger.LogWarning("{Dropped} impressions were dropped (queue full or storage unreachable)", Dropped);
    }

    /// <summary>Writes everything queued now; public for tests and shutdown.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        while (true)
        {
            while (_pendingImpressions < MaxBatch && _queue.Reader.TryRead(out var shown))
            {
                _pending.Add(shown);
                _pendingImpressions += shown.Items.Length;
            }
            if (_pending.Count == 0) return;
            try
            {
                await _log.WriteAsync(_instance, _sequence, _pending, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Kept for the next interval; meanwhile the queue fills and drops beyond its bound.
                Interlocked.Increment(ref _failedWrites);
                _logger.LogWarning("Writing {Count} impressions failed ({Reason}); retrying at the next flush", _pendingImpressions, e.GetType().Name);
                return;
            }
            _sequence++;
            Interlocked.Add(ref _written, _pendingImpressions);
            Interlocked.Add(ref _queued, -_pendingImpressions);
            _pending.Clear();
            _pendingImpressions = 0;
        }
    }
}
