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

    private readonly ResiliencePipeline _pipeline;
    private volatile bool _open;

    public StorageBreaker(TimeProvider? time = null)
    {
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Half the attempts of the last two seconds failing opens it: the polls' successes before an outage
                // soon leave the window, and a lone reset among many successes does not open it.
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(2),
                BreakDuration = BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsOutage(args.Outcome.Exception, args.Context.CancellationToken)),
                OnOpened = _ => { _open = true; return ValueTask.CompletedTask; },
                OnClosed = _ => { _open = false; return ValueTask.CompletedTask; },
            })
            .Build();
    }

    /// <summary>From the first failures that open it until a trial call succeeds (half-open counts as open).</summary>
    public bool IsOpen => _open;

    /// <summary>A transport failure; a 4xx or 5xx answer means storage is up, and the caller's own cancellation is no failure.</summary>
    private static bool IsOutage(Exception? e, CancellationToken callerToken) => e switch
    {
        null => false,
        RequestFailedException failed => failed.Status == 0,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => e is IOException or HttpRequestException or System.Net.Sockets.SocketException,
    };

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var context = ResilienceContextPool.Shared.Get(message.CancellationToken);
        try
        {
            await _pipeline.ExecuteAsync(static async (_, state) => await ProcessNextAsync(state.message, state.pipeline).ConfigureAwait(false),
                context, (message, pipeline)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        _pipeline.Execute(static state => ProcessNext(state.message, state.pipeline), (message, pipeline));
}
