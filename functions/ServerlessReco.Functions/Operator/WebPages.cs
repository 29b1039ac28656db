using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using ServerlessReco.Functions.Edge;

namespace ServerlessReco.Functions.Operator;

/// <summary>
/// GET /api/ui/{*path}: the storefront preview and the operator console, plain HTML, CSS and JavaScript from web/,
/// compiled into the assembly as resources, so the Native AOT binary carries them and the deployment needs no file
/// beside it. The pages hold no data and are anonymous; what they show comes from the keyed /api/console functions
/// and the public API.
/// </summary>
public static class WebPages
{
    public const string Route = "/api/ui";
    public const string PreviewPage = "preview.html";
    public const string ConsolePage = "console.html";
    private const string ResourcePrefix = "web/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    // Read once: a few tens of kilobytes, served on every page load.
    private static readonly FrozenDictionary<string, byte[]> Files = Load();

    public static IEndpointConventionBuilder MapWebPages(this IEndpointRouteBuilder app) =>
        app.MapGet(Route + "/{*path}", Page).WithAuthLevel(AuthLevel.Anonymous).WithTags("Console").ProducesProblems(400, 404);

    private static Results<FileContentHttpResult, RedirectHttpResult, ProblemHttpResult> Page(HttpRequest request)
    {
        if (request.Path.Value is Route or Route + "/") return TypedResults.Redirect(Route + "/" + PreviewPage);
        if (!PathIds.TryRead(request, "path", out var path, out var problem)) return problem;
        if (!Files.TryGetValue(path, out var content))
            return Problems.NotFound("No such page", $"There is no page '{(path.Length > 60 ? path[..60] + "..." : path)}': open {Route}/{PreviewPage} or {Route}/{ConsolePage}.");
        var headers = request.HttpContext.Response.Headers;
        // Only this origin's scripts, styles and API: the console shows input that senders wrote (dead letters).
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-cache";
        return TypedResults.Bytes(content, ContentTypes[Path.GetExtension(path)]);
    }

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(WebPages).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[ResourcePrefix.Length..]] = copy.ToArray();
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
