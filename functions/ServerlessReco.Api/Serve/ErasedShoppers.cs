using System.Collections.Concurrent;
using ServerlessReco.EventLog;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The erasures serving honours, by pseudonym: read from the tombstones at start and at every model poll (so an
/// erasure on another instance applies within one poll), and recorded at once by this instance's DELETE. The
/// tombstone list is one listing of names (the time is in the name), read in the background, never per request.
/// </summary>
public sealed class ErasedShoppers(DataStore store, ServeOptions settings, ILogger<ErasedShoppers> logger) : BackgroundService
{
    /// <summary>How long a request right after start waits for the first listing before it counts the shopper as erased.</summary>
    private static readonly TimeSpan FirstReadWait = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _erased = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _read;

    public void Record(string user, DateTimeOffset erasedAt) => _erased.AddOrUpdate(user, erasedAt, (_, known) => known > erasedAt ? known : erasedAt);

    /// <summary>
    /// When the shopper was last erased, or null. Until the tombstones have been read once (storage slow or down
    /// since start) every shopper counts as erased: an answer then reveals nothing rather than what might be erased.
    /// </summary>
    public async ValueTask<DateTimeOffset?> ErasedAtAsync(string user, CancellationToken ct)
    {
        if (!_firstAttempt.Task.IsCompleted)
        {
            try
            {
                await _firstAttempt.Task.WaitAsync(FirstReadWait, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The listing is still under way: this request counts the shopper as erased.
            }
        }
        if (!_read) return DateTimeOffset.MaxValue;
        return _erased.TryGetValue(user, out var at) ? at : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.ModelPollInterval);
        do
        {
            try
            {
                foreach (var (user, at) in await store.EventLog.ReadTombstonesAsync(stoppingToken).ConfigureAwait(false)) Record(user, at);
                _read = true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Reading the erasure tombstones failed; trying again at the next poll");
            }
            // Requests waiting for the first read go on either way: after a failure they count every shopper as erased.
            _firstAttempt.TrySetResult();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
