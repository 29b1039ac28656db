using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing.Patterns;
using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// The one reader of ids in URL paths. Kestrel decodes the path but leaves "%2F" encoded, so a route value cannot
/// tell "a/b" from a literal "a%2Fb"; the id is taken from the raw request target at the route parameter's
/// segment (all remaining segments for a catch-all) and decoded exactly once. Ids may hold any character, so
/// they follow the same rule as ids in bodies (<see cref="InputRules.IsValidId"/>).
/// </summary>
public static class PathIds
{
    public static bool TryRead(HttpRequest request, string parameter, out string id, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        var pattern = (request.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern
            ?? throw new InvalidOperationException($"{parameter} is read from a request that was not routed.");
        int at = -1;
        bool catchAll = false;
        for (int i = 0; i < pattern.PathSegments.Count && at < 0; i++)
            if (pattern.PathSegments[i].Parts is [RoutePatternParameterPart part] && part.Name == parameter) (at, catchAll) = (i, part.IsCatchAll);
        if (at < 0) throw new InvalidOperationException($"Route {pattern.RawText} has no segment {{{parameter}}}.");

        var target = RawPath(request);
        var segments = target.TrimStart('/').Split('/');
        var encoded = at >= segments.Length ? "" : catchAll ? string.Join('/', segments[at..]) : segments[at];
        id = Uri.UnescapeDataString(encoded);
        if (InputRules.IsValidId(id, out var rule))
        {
            problem = null;
            return true;
        }
        problem = Problems.Invalid(parameter, $"{parameter} {rule}.");
        return false;
    }

    /// <summary>
    /// The path of the raw target, still percent-encoded. A proxy may send the absolute form
    /// ("GET http://host/api/... HTTP/1.1"), whose path starts after the authority; request.Path is no fallback,
    /// being decoded already (decoding it again turned "%2541" into "A").
    /// </summary>
    private static string RawPath(HttpRequest request)
    {
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (target.IndexOf("://", StringComparison.Ordinal) is var scheme and > 0 && target[..scheme].All(char.IsAsciiLetter))
            target = target.IndexOf('/', scheme + 3) is var path and >= 0 ? target[path..] : "/";
        if (target is not ['/', ..])
            throw new InvalidOperationException($"Kestrel routed a request whose target '{target}' has no path.");
        return target.IndexOfAny(['?', '#']) is var end and >= 0 ? target[..end] : target;
    }
}
