using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using ServerlessReco.Domain;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The read side of the API under /api (the Functions host's route prefix). Every error is Problem Details
/// naming the parameter at fault.
/// </summary>
public static class ServeEndpoints
{
    public const int MaxCount = 200;
    public const int MaxIdLength = 256;
    private const string NoModel = "No model published yet: run ./reco jobs train then publish.";

    public static IServiceCollection AddServing(this IServiceCollection services)
    {
        services.AddSingleton(sp => ServeSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<ModelWatcher>();
        services.AddSingleton<Recommender>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelWatcher>());
        services.AddHostedService<CatalogRefresher>();
        return services;
    }

    public static void MapServing(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/recommendations/{userId}", Recommendations);
        api.MapGet("/items/{itemId}/similar", Similar);
        api.MapGet("/popular", Popular);
        api.MapGet("/health", Health);
        api.MapGet("/openapi.json", () => Results.Text(OpenApi.Document, "application/json"));
    }

    private static async Task<IResult> Recommendations(
        HttpContext http, ModelWatcher models, Recommender recommender, string? market, string? locale, string? count,
        string? category, string? exclude, string? diversity, string? crossCategory, string? includePurchased)
    {
        if (!PathId(http, 2, "userId", out var userId, out var problem)) return problem;
        if (!Common(market, locale, count, RecommendationRequest.DefaultCount, out var m, out var loc, out int n, out problem)) return problem;
        if (!Fraction(diversity, "diversity", out float div, out problem)) return problem;
        if (!Flag(crossCategory, "crossCategory", out bool cross, out problem)) return problem;
        if (!Flag(includePurchased, "includePurchased", out bool withPurchased, out problem)) return problem;
        var excluded = new HashSet<string>((exclude ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        if (excluded.Count > MaxCount) return Bad("exclude", $"exclude names {excluded.Count} items; at most {MaxCount} are accepted.");
        if (category is { Length: > MaxIdLength }) return Bad("category", $"category is longer than {MaxIdLength} characters.");
        if (models.Current is not { } model) return Unavailable();

        var request = new RecommendationRequest
        {
            Market = m.Code, Count = n, Category = string.IsNullOrEmpty(category) ? null : category, Exclude = excluded,
            Diversity = div, CrossCategory = cross, IncludePurchased = withPurchased,
        };
        return Results.Ok(await recommender.RecommendAsync(model, userId, loc, request, http.RequestAborted));
    }

    private static IResult Similar(HttpContext http, ModelWatcher models, Recommender recommender, string? market, string? locale, string? count)
    {
        if (!PathId(http, 2, "itemId", out var itemId, out var problem)) return problem;
        if (!Common(market, locale, count, RecommendationRequest.DefaultCount, out var m, out var loc, out int n, out problem)) return problem;
        if (models.Current is not { } model) return Unavailable();
        // Item ids are only dictionary keys here, never storage keys, so any characters are safe.
        if (!model.ItemIndex.TryGetValue(itemId, out int item))
            return Results.Problem(title: "Unknown item", detail: $"Item '{itemId}' is not in model {model.Version}: it has no purchase history yet.",
                statusCode: StatusCodes.Status404NotFound, extensions: Parameter("itemId"));
        return Results.Ok(recommender.Similar(model, item, m, loc, n));
    }

    private static IResult Popular(ModelWatcher models, Recommender recommender, string? market, string? locale, string? count, string? category)
    {
        if (!Common(market, locale, count, RecommendationRequest.DefaultCount, out var m, out var loc, out int n, out var problem)) return problem;
        if (category is { Length: > MaxIdLength }) return Bad("category", $"category is longer than {MaxIdLength} characters.");
        if (models.Current is not { } model) return Unavailable();
        return Results.Ok(recommender.Popular(model, m, loc, string.IsNullOrEmpty(category) ? null : category, n));
    }

    private static async Task<IResult> Health(ModelWatcher models, CatalogCache catalog, DataStore store, CancellationToken ct)
    {
        bool reachable;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            // One small blob read: the same call the model poll makes.
            await store.Models.ReadCurrentAsync(timeout.Token);
            reachable = true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            reachable = false;
        }
        var model = models.Current;
        var status = model is null ? "no-model" : reachable && models.LastLoadError is null ? "healthy" : "degraded";
        return Results.Ok(new HealthResponse(
            status, model?.Version,
            model is null ? null : Math.Round((DateTimeOffset.UtcNow - model.Manifest.CreatedAt).TotalSeconds),
            model?.Manifest.TrainedUntil,
            new HealthCounts(model?.Artifacts.UserCount ?? 0, model?.ItemCount ?? 0, catalog.Count),
            reachable, models.LastLoadError, catalog.LoadedAt));
    }

    /// <summary>
    /// Reads a path segment from the raw request target. Kestrel leaves %2F encoded in the decoded path, so a
    /// route value cannot tell "a/b" from "a%2Fb"; decoding the raw segment once gives the id the client sent.
    /// </summary>
    private static bool PathId(HttpContext http, int segmentAfterApi, string name, out string id, [NotNullWhen(false)] out IResult? problem)
    {
        id = "";
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        int query = raw.IndexOf('?');
        var segments = (query >= 0 ? raw[..query] : raw).Split('/');
        int apiAt = Array.IndexOf(segments, "api");
        var encoded = apiAt >= 0 && apiAt + segmentAfterApi < segments.Length ? segments[apiAt + segmentAfterApi] : http.GetRouteValue(name) as string ?? "";
        try
        {
            id = Uri.UnescapeDataString(encoded);
        }
        catch (UriFormatException)
        {
            problem = Bad(name, $"{name} is not validly percent-encoded.");
            return false;
        }
        if (id.Length == 0) { problem = Bad(name, $"{name} is empty."); return false; }
        if (id.Length > MaxIdLength) { problem = Bad(name, $"{name} is {id.Length} characters long; at most {MaxIdLength} are accepted."); return false; }
        problem = null;
        return true;
    }

    private static bool Common(string? market, string? locale, string? count, int defaultCount,
        out Market m, out string loc, out int n, [NotNullWhen(false)] out IResult? problem)
    {
        loc = "";
        n = defaultCount;
        if (string.IsNullOrEmpty(market)) { m = null!; problem = Bad("market", "market is required: an ISO 3166-1 alpha-2 code such as DE."); return false; }
        if (!Markets.TryGet(market, out m))
        {
            problem = Bad("market", $"market '{Truncate(market)}' is not a market this shop sells into. Known: {string.Join(", ", Markets.Known.Select(k => k.Code))}.");
            return false;
        }
        if (string.IsNullOrEmpty(locale)) loc = m.Languages[0];
        else if (Localization.IsWellFormedLocale(locale)) loc = locale;
        else { problem = Bad("locale", $"locale '{Truncate(locale)}' is not a BCP 47 language tag such as de-AT."); return false; }
        if (count is not null && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > MaxCount))
        {
            problem = Bad("count", $"count must be a whole number from 1 to {MaxCount}.");
            return false;
        }
        problem = null;
        return true;
    }

    private static bool Fraction(string? text, string name, out float value, [NotNullWhen(false)] out IResult? problem)
    {
        value = 0;
        problem = null;
        if (text is null) return true;
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 1) return true;
        problem = Bad(name, $"{name} must be a number from 0 to 1.");
        return false;
    }

    private static bool Flag(string? text, string name, out bool value, [NotNullWhen(false)] out IResult? problem)
    {
        value = false;
        problem = null;
        if (text is null || bool.TryParse(text, out value)) return true;
        problem = Bad(name, $"{name} must be true or false.");
        return false;
    }

    private static IResult Bad(string parameter, string detail) =>
        Results.Problem(title: $"Invalid parameter '{parameter}'", detail: detail, statusCode: StatusCodes.Status400BadRequest, extensions: Parameter(parameter));

    private static IResult Unavailable() =>
        Results.Problem(title: "No model", detail: NoModel, statusCode: StatusCodes.Status503ServiceUnavailable);

    private static Dictionary<string, object?> Parameter(string name) => new() { ["parameter"] = name };

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
