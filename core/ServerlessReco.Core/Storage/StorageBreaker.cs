using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Polly;
using Polly.CircuitBreaker;

namespace ServerlessReco.Storage;

/// <summary>
/// A circuit breaker inside every attempt of the storage clients' pipeline, shared by the blob and table clients of
/// one <see cref="DataStore"/>. Once storage has failed at the transport (refused, reset, timed out), attempts fail
/// at once with <see cref="BrokenCircuitException"/>, which the SDK does not retry, instead of each request
/// spending seconds on retries against an account that is down. After <see cref="BreakDuration"/> one attempt is
/// let through; its success closes the breaker, so serving and health recover by themselves.
/// </summary>
public sealed class StorageBreaker : HttpPipelinePolicy
{
    /// <summary>Short: the half-open probe is one small request, and recovery waits for it.</summary>
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one attempt may go without an answer (until the response headers, and between reads of a streamed
    /// body) before it counts as a transport failure. Storage that accepts connections and never answers (a black
    /// hole) would otherwise hold each call for the SDK's default of 100 s, and the breaker, which only counts
    /// failures, would never open. A healthy account answers in milliseconds, but a loaded one (azurite on the
    /// shared 2-core test machine at load average 30-40) took over 0.8 s, and over 3 s, twice in a row for
    /// ordinary calls, which then failed their requests; 10 s has not been seen exceeded.
    /// </summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retries for the clients behind a breaker: two attempts 0.1 s apart bound the first request of an outage,
    /// before the breaker opens, to a fraction of a second when storage refuses, and to 20.1 s when it is silent
    /// (two <see cref="AttemptTimeout"/>s); once those failures have opened the breaker, every call fails at once.
    /// The SDK's defaults (four or five attempts from 0.8 s, doubling, 100 s per attempt) kept it waiting 5 to
    /// 50 s, and minutes against a black hole.
    /// </summary>
    public static void Configure(ClientOptions options, StorageBreaker breaker)
    {
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = AttemptTimeout;
        options.AddPolicy(breaker, HttpPipelinePosition.PerRetry);
    }

    /// <summary>
    /// How long storage must have gone without answering any call before an attempt that ended without an answer of
    /// its own, other than by a transport failure (its caller stopped waiting, or something the list below does not
    /// know), counts as an outage. Healthy storage answers in milliseconds, so half a second of silence with a call
    /// waiting is not a busy account; a caller that goes away sooner (a client disconnecting) proves nothing either way.
    /// </summary>
    public static readonly TimeSpan Silence = TimeSpan.FromSeconds(0.5);

    private static readonly ResiliencePropertyKey<long> Started = new("reco.storage.started");

    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private long _lastAnswer = long.MinValue;
    private long _closedAt = long.MinValue;
    private volatile bool _open;
    private CancellationTokenSource _untilOpened = new();

    public StorageBreaker(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Half the attempts of the last two seconds failing opens it: the polls' successes before an outage
                // soon leave the window, and a lone reset among many successes does not open it.
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(2),
                BreakDuration = BreakDuration,
                // Polly counts every outcome not handled here as a success, which in half-open closes the breaker: so
                // every exception is judged here, and only an answer from storage, or an attempt that storage's
                // answers to other calls show was merely given up on, counts as one.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    && IsOutage(e, args.Context.Properties.GetValue(Started, long.MaxValue))),
                OnOpened = _ =>
                {
                    _open = true;
                    // Not disposed: work may be linking the old token right now, and a source without a timer holds nothing.
                    return new ValueTask(Interlocked.Exchange(ref _untilOpened, new CancellationTokenSource()).CancelAsync());
                },
                OnClosed = _ =>
                {
                    Volatile.Write(ref _closedAt, _time.GetTimestamp());
                    _open = false;
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>From the first failures that open it until a trial call succeeds (half-open counts as open).</summary>
    public bool IsOpen => _open;

    /// <summary>
    /// Cancelled when the breaker next opens: for storage work that outlives the requests waiting for it (a
    /// group-committed flush), which would otherwise hold up the work queued behind it for as long as storage is
    /// silent (two <see cref="AttemptTimeout"/>s), after storage is known to be down and even after it is back.
    /// </summary>
    public CancellationToken UntilOpened => Volatile.Read(ref _untilOpened).Token;

    /// <summary>
    /// A transport failure (refused, reset, no answer within <see cref="AttemptTimeout"/>) always; a 4xx or 5xx is an
    /// answer, so storage is up. Anything else (the caller's cancellation above all) is an outage only when storage has
    /// answered nothing since the attempt began, for at least <see cref="Silence"/>. None is, for an attempt that began
    /// before the breaker last closed: the trial's answer is newer news, and the attempts a silent outage left hanging
    /// would otherwise time out after it ended and open the breaker again.
    /// </summary>
    private bool IsOutage(Exception e, long started) => started >= Volatile.Read(ref _closedAt) && e switch
    {
        RequestFailedException { Status: not 0 } => false,
        RequestFailedException or IOException or HttpRequestException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => IsSilentSince(started),
    };

    private bool IsSilentSince(long started) =>
        Volatile.Read(ref _lastAnswer) <= started && _time.GetElapsedTime(started) >= Silence;

    /// <summary>
    /// For a caller whose budget ran out while it waited on storage work that goes on without it (a group-committed
    /// write), which the breaker therefore never sees end: counted as one failed attempt when storage has answered
    /// nothing since <paramref name="started"/> (a <see cref="TimeProvider.GetTimestamp"/> of this breaker's clock),
    /// so that a silent account opens the breaker after a few such callers. Waiting behind other callers' writes that
    /// storage keeps answering counts for nothing.
    /// </summary>
    public async ValueTask GaveUpAsync(long started)
    {
        if (!IsSilentSince(started)) return;
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(Started, started);
        try
        {
            // Through the breaker like an attempt, so that it counts exactly as one: nothing while open, a failed trial
            // in half-open, a failure in the sampling window while closed.
            await _pipeline.ExecuteOutcomeAsync<object?, object?>(static (_, _) => ValueTask.FromResult(Outcome.FromException<object?>(
                new TimeoutException("A caller's storage budget ran out with no answer from storage."))), context, null).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>A timestamp of this breaker's clock, for <see cref="GaveUpAsync"/>.</summary>
    public long Now() => _time.GetTimestamp();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var context = ResilienceContextPool.Shared.Get(message.CancellationToken);
        context.Properties.Set(Started, _time.GetTimestamp());
        try
        {
            await _pipeline.ExecuteAsync(static async (_, state) =>
            {
                await ProcessNextAsync(state.message, state.pipeline).ConfigureAwait(false);
                state.breaker.Answered();
            }, context, (message, pipeline, breaker: this)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var context = ResilienceContextPool.Shared.Get(message.CancellationToken);
        context.Properties.Set(Started, _time.GetTimestamp());
        try
        {
            _pipeline.Execute(static (_, state) =>
            {
                ProcessNext(state.message, state.pipeline);
                state.breaker.Answered();
            }, context, (message, pipeline, breaker: this));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private void Answered()
    {
        // Only ever forward: an older time written over a newer one would make storage look silent for an attempt it answered around.
        long now = _time.GetTimestamp(), seen = Volatile.Read(ref _lastAnswer);
        while (seen < now)
        {
            var was = Interlocked.CompareExchange(ref _lastAnswer, now, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
