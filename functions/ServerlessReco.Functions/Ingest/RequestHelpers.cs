using Microsoft.AspNetCore.Http.Features;

namespace ServerlessReco.Functions.Ingest;

internal static class RequestHelpers
{
    /// <summary>
    /// The body, or null when it is longer than <paramref name="limit"/>. Reads at most limit + 1 bytes whatever
    /// Content-Length claims (it may be absent with chunked encoding, or lie).
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(HttpContext ctx, int limit, CancellationToken ct)
    {
        var request = ctx.Request;
        if (request.ContentLength > limit) return null;
        // Our own bound replaces Kestrel's default (30 MB), which is too small for Event Hubs batches.
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        var buffer = new byte[(int)Math.Min(request.ContentLength ?? 64 * 1024, limit) + 1];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, limit + 1L));
            int read = await request.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0) break;
            length += read;
            if (length > limit) return null;
        }
        return buffer.AsMemory(0, length);
    }

    /// <summary>
    /// The id after <paramref name="prefix"/>, decoded exactly once from the raw request target: the routed path
    /// keeps "%2F" encoded and cannot tell "a/b" from a literal "a%2Fb", and ids may hold any character.
    /// </summary>
    public static string PathId(HttpContext ctx, string prefix)
    {
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : ctx.Request.Path.Value ?? "";
        if (target.IndexOf('?') is var query and >= 0) target = target[..query];
        var at = target.IndexOf(prefix, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? "" : Uri.UnescapeDataString(target[(at + prefix.Length)..]);
    }

    public static IResult TooLarge(string limit) => Results.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request too large",
        detail: $"The limit is {limit} per request; split the batch.");

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);

    /// <summary>
    /// Runs storage work under the ingestion storage timeout. Any failure becomes a 500 that acknowledges nothing,
    /// so the sender retries; every write is idempotent, so a retry is always safe.
    /// </summary>
    public static async Task<IResult> WithStorageAsync(HttpContext ctx, string what, Func<CancellationToken, Task<IResult>> work)
    {
        var settings = ctx.RequestServices.GetRequiredService<IngestSettings>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        deadline.CancelAfter(settings.StorageTimeout);
        try
        {
            return await work(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            Logger(ctx).LogError(e, "{What} failed; nothing was acknowledged", what);
            return Results.Problem(
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Storage unavailable",
                detail: $"{what} failed before everything was stored, so nothing in this request is acknowledged. Retry it: ingestion is idempotent.");
        }
    }

    public static ILogger Logger(HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ServerlessReco.Ingest");
}
