using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// Runs a request's storage work under the ingestion storage timeout. Any failure becomes a 503 with Retry-After
/// that acknowledges nothing, so the sender retries; every write is idempotent, so a retry is always safe. While
/// storage is down the store's <see cref="StorageBreaker"/> fails each call at once, so the answer comes in well
/// under the sender's own timeout.
/// </summary>
public sealed class StorageCalls(IOptions<IngestOptions> options, ILogger<StorageCalls> logger)
{
    /// <summary>When the breaker next lets a call through: a retry sooner would fail the same way.</summary>
    private static readonly string RetryAfterSeconds = Math.Ceiling(StorageBreaker.BreakDuration.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    public ILogger Logger => logger;

    // Results<,> keeps its type arguments' methods for trimming (it calls their ExecuteAsync); TOk must promise the same.
    public async Task<Results<TOk, ProblemHttpResult>> RunAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TOk>(string what, Func<CancellationToken, Task<Results<TOk, ProblemHttpResult>>> work, HttpContext context)
        where TOk : IResult
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(options.Value.StorageTimeout);
        try
        {
            return await work(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(e, "{What} failed; nothing was acknowledged", what);
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Problems.Unavailable("Storage unavailable",
                $"{what} failed before everything was stored, so nothing in this request is acknowledged. Retry it: ingestion is idempotent.");
        }
    }
}
