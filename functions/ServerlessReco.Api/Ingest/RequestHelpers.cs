using Microsoft.AspNetCore.Http.Features;

namespace ServerlessReco.Functions.Ingest;

internal static class RequestHelpers
{
    /// <summary>
    /// The body, or null when it is longer than <paramref name="limit"/>. Reads at most limit + 1 bytes whatever
    /// Content-Length claims (it may be absent with chunked encoding, or lie).
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return null;
        // Our own bound replaces Kestrel's default (30 MB), which is too small for Event Hubs batches.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
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
}
