using System.Threading.Channels;
using ServerlessReco.Feedback;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Feedback;

/// <summary>
/// Takes impressions off the request path: a request only tries to put them in a bounded in-memory queue (never
/// waits; when full they are dropped and counted), and this service writes what is queued as one file per
/// flush interval (<see cref="ImpressionLog"/>). A failed write is retried at the next interval while the queue
/// keeps its bound, so a storage outage costs impressions, never requests. Stopping the host flushes the rest.
/// What a crashed instance loses: the impressions of its last flush interval, at most the queue's capacity.
/// </summary>
public sealed class ImpressionRecorder : BackgroundService
{
    /// <summary>One file holds at most this many; a backlog after an outage is written as several.</summary>
    public const int MaxBatch = 10_000;

    private readonly Channel<Impression> _queue;
    private readonly ImpressionLog _log;
    private readonly FeedbackOptions _options;
    private readonly ILogger<ImpressionRecorder> _logger;
    // A restarted or second instance never writes over another's files.
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly List<Impression> _pending = [];
    private long _sequence, _dropped, _written, _failedWrites, _queued;

    public ImpressionRecorder(DataStore store, FeedbackOptions options, ILogger<ImpressionRecorder> logger)
    {
        _options = options;
        _logger = logger;
        _log = new ImpressionLog(store.Blobs);
        _queue = Channel.CreateBounded<Impression>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refuses at once when full, so the drop is counted
        });
    }

    public long Dropped => Interlocked.Read(ref _dropped);
    public long Written => Interlocked.Read(ref _written);
    /// <summary>Impressions waiting in memory (queued, or taken for a write that has not succeeded yet).</summary>
    public long QueueDepth => Interlocked.Read(ref _queued);

    /// <summary>Called on the request path: never blocks, never throws.</summary>
    public void Record(ReadOnlySpan<Impression> impressions)
    {
        if (!_options.RecordImpressions) return;
        foreach (var impression in impressions)
        {
            if (_queue.Writer.TryWrite(impression)) Interlocked.Increment(ref _queued);
            else Interlocked.Increment(ref _dropped);
        }
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
            while (_pending.Count < MaxBatch && _queue.Reader.TryRead(out var impression)) _pending.Add(impression);
            if (_pending.Count == 0) return;
            try
            {
                await _log.WriteAsync(_instance, _sequence, _pending, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Kept for the next interval; meanwhile the queue fills and drops beyond its bound.
                Interlocked.Increment(ref _failedWrites);
                _logger.LogWarning("Writing {Count} impressions failed ({Reason}); retrying at the next flush", _pending.Count, e.GetType().Name);
                return;
            }
            _sequence++;
            Interlocked.Add(ref _written, _pending.Count);
            Interlocked.Add(ref _queued, -_pending.Count);
            _pending.Clear();
        }
    }
}
