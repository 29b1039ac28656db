using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// Runs a request's storage work within a time limit. Any failure, and the limit running out, becomes a 503 with
/// Retry-After that acknowledges nothing, so the sender retries; every write is idempotent, so a retry is always
/// safe. While storage is down the store's <see cref="StorageBreaker"/> fails each call at once, so the answer comes
/// in well under the sender's own timeout. While it is open no request makes a storage call at all: the breaker's
/// trial calls are left to the background polls, so that no sender waits on one (against storage that never answers
/// a trial costs an attempt timeout).
/// </summary>
public sealed class StorageCalls(DataStore store, IOptions<IngestOptions> options, ILogger<StorageCalls> logger)
{
    /// <summary>When the breaker next lets a call through: a retry sooner would fail the same way.</summary>
    private static readonly string RetryAfterSeconds = Math.Ceiling(StorageBreaker.BreakDuration.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    public ILogger Logger => logger;

    /// <summary>Catalogue writes and erasures: their work stops when the request gives up, so it gets the whole storage timeout.</summary>
    // Results<,> keeps its type arguments' methods for trimming (it calls their ExecuteAsync); TOk must promise the same.
    public Task<Results<TOk, ProblemHttpResult>> RunAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TOk>(string what, Func<CancellationToken, Task<Results<TOk, ProblemHttpResult>>> work, HttpContext context)
        where TOk : IResult =>
        RunAsync(what, work, context, options.Value.StorageTimeout);

    /// <summary>
    /// Event posts (HTTP and Event Hubs), within the write budget (<see cref="IngestOptions.WriteBudgetSeconds"/>): their
    /// events are stored by a group-committed flush that goes on when the request gives up.
    /// </summary>
    public Task<Results<TOk, ProblemHttpResult>> RunEventsAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TOk>(string what, Func<CancellationToken, Task<Results<TOk, ProblemHttpResult>>> work, HttpContext context)
        where TOk : IResult =>
        RunAsync(what, work, context, options.Value.WriteBudget);

    private async Task<Results<TOk, ProblemHttpResult>> RunAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TOk>(string what, Func<CancellationToken, Task<Results<TOk, ProblemHttpResult>>> work, HttpContext context, TimeSpan limit)
        where TOk : IResult
    {
        var breaker = store.Breaker;
        if (breaker?.IsOpen == true)
        {
            // One line per request would flood the log during an outage; the breaker's own transitions are logged by the polls.
            return Unavailable(context, what);
        }
        var started = breaker?.Now();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(limit);
        try
        {
            return await work(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // The limit ran out. A flush it was waiting for goes on and may still store the events (the retry then
            // finds them); the breaker counts this as a failed attempt if storage answered nothing meanwhile, so a
            // silent account opens it after a few requests and the rest answer at once.
            if (breaker is not null && started is { } since) await breaker.GaveUpAsync(since).ConfigureAwait(false);
            logger.LogWarning("{What} did not finish within {Seconds} s; answered 503, nothing acknowledged", what, limit.TotalSeconds);
            return Unavailable(context, what);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(e, "{What} failed; nothing was acknowledged", what);
            return Unavailable(context, what);
        }
    }

    private static ProblemHttpResult Unavailable(HttpContext context, string what)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problems.Unavailable("Storage unavailable",
            $"{what} failed before everything was stored, so nothing in this request is acknowledged. Retry it: ingestion is idempotent.");
    }
}
