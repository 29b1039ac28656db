using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Feedback;
using ServerlessReco.Ingest;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The read side of the API under /api (the Functions host's route prefix), anonymous at the host: storefronts
/// call it from browsers. Recommendations reveal a shopper's history, so the handler asks for that shopper's
/// token (<see cref="ShopperTokens"/>); similar, popular and health are about items and the service only. Every
/// error is Problem Details naming the parameter at fault in errors.
/// </summary>
public static class ServeEndpoints
{
    public const int MaxCount = 200;
    private const string NoModel = "No model published yet: run ./reco jobs train then publish.";

    public static IServiceCollection AddServing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServeOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServeOptions>, HandlerOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ServeOptions>>().Value);
        services.AddSingleton<ModelWatcher>();
        services.AddSingleton<Recommender>();
        services.AddOptions<FeedbackOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedbackOptions>, HandlerOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FeedbackOptions>>().Value);
        services.AddSingleton<ImpressionRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<ImpressionRecorder>());
        services.AddSingleton(sp => ShopperTokens.ForSecret(sp.GetRequiredService<ServeOptions>().ShopperTokenSecret, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ErasedShoppers>();
        services.AddHostedService(sp => sp.GetRequiredService<ErasedShoppers>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelWatcher>());
        services.AddHostedService<CatalogRefresher>();
        services.AddSingleton<ActiveShoppers>();
        services.AddHostedService(sp => sp.GetRequiredService<ActiveShoppers>());
        return services;
    }

    public static RouteGroupBuilder MapServing(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithAuthLevel(AuthLevel.Anonymous).WithTags("Serving");
        api.MapGet("/recommendations/{userId}", Recommendations).RequiresShopperToken().WithQueryValues("strategy", ScorerChains.Names).ProducesProblems(400, 401, 403, 503);
        api.MapGet("/items/{itemId}/similar", Similar).ProducesProblems(400, 404, 503);
        api.MapGet("/popular", Popular).ProducesProblems(400, 503);
        api.MapGet("/health", Health);
        return api;
    }

    /// <summary>A shopper's recommendations: taste from the model and recent events, filtered and diversified.</summary>
    private static async Task<Results<Ok<RecommendationsResponse>, ProblemHttpResult>> Recommendations(
        HttpRequest request, ShopperTokens tokens, ModelWatcher models, Recommender recommender, string? market, string? locale, string? count,
        string? category, string? exclude, string? diversity, string? crossCategory, string? includePurchased,
        [Description("Scorers to use: als (ALS with real-time fold-in), sequence (the self-attentive model over the shopper's recent items) or als+sequence (both blended; send + as %2B). Default: the deployment's RECO_STRATEGY. A version without a sequence model answers with ALS; the answer's strategy says which scorer ranked.")] string? strategy)
    {
        if (!PathIds.TryRead(request, "userId", out var userId, out var problem)) return problem;
        if (!Authorized(request, tokens, userId, out problem)) return problem;
        if (!Common(market, locale, count, out var m, out var loc, out int n, out problem)) return problem;
        if (!Fraction(diversity, "diversity", out float div, out problem)) return problem;
        if (!Flag(crossCategory, "crossCategory", out bool cross, out problem)) return problem;
        if (!Flag(includePurchased, "includePurchased", out bool withPurchased, out problem)) return problem;
        var excluded = new HashSet<string>((exclude ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        if (excluded.Count > MaxCount) return Problems.Invalid("exclude", $"exclude names {excluded.Count} items; at most {MaxCount} are accepted.");
        if (!Category(category, out problem)) return problem;
        ScorerChain? chain = null;
        if (strategy is not null)
        {
            if (!ScorerChains.TryParse(strategy, out var parsed))
                return Problems.Invalid("strategy", $"strategy '{Truncate(strategy)}' is not one of {string.Join(", ", ScorerChains.Names)} (send als+sequence as als%2Bsequence).");
            chain = parsed;
        }
        if (models.Served is not { } served) return Unavailable();

        var query = new RecommendationRequest
        {
            Market = m.Code, Count = n, Category = string.IsNullOrEmpty(category) ? null : category, Exclude = excluded,
            Diversity = div, CrossCategory = cross, IncludePurchased = withPurchased,
        };
        return Tagged(request.HttpContext, await recommender.RecommendAsync(served, userId, loc, query, chain, request.HttpContext.RequestAborted), r => (r.Strategy, r.ModelVersion, r.Arm));
    }

    /// <summary>Items like this one, by behaviour and (when the model has them) content embeddings.</summary>
    private static Results<Ok<SimilarItemsResponse>, ProblemHttpResult> Similar(
        HttpRequest request, ModelWatcher models, Recommender recommender, string? market, string? locale, string? count, string? userId)
    {
        if (!PathIds.TryRead(request, "itemId", out var itemId, out var problem)) return problem;
        if (!Common(market, locale, count, out var m, out var loc, out int n, out problem)) return problem;
        if (!ShopperKey(userId, out problem)) return problem;
        if (models.Served is not { } served) return Unavailable();
        var chosen = recommender.Choose(served, userId);
        if (!chosen.Model.ItemIndex.TryGetValue(itemId, out int item))
            return Problems.NotFound("Unknown item", $"Item '{Truncate(itemId)}' is not in model {chosen.Model.Version}: it has no purchase history yet.");
        return Tagged(request.HttpContext, recommender.Similar(served, chosen, item, m, loc, n), r => (r.Strategy, r.ModelVersion, r.Arm));
    }

    /// <summary>Best sellers in a market, optionally within a category.</summary>
    private static Results<Ok<PopularResponse>, ProblemHttpResult> Popular(
        HttpContext context, ModelWatcher models, Recommender recommender, string? market, string? locale, string? count, string? category, string? userId)
    {
        if (!Common(market, locale, count, out var m, out var loc, out int n, out var problem)) return problem;
        if (!Category(category, out problem)) return problem;
        if (!ShopperKey(userId, out problem)) return problem;
        if (models.Served is not { } served) return Unavailable();
        return Tagged(context, recommender.Popular(served, recommender.Choose(served, userId), m, loc, string.IsNullOrEmpty(category) ? null : category, n), r => (r.Strategy, r.ModelVersion, r.Arm));
    }

    private static Ok<T> Tagged<T>(HttpContext context, T answer, Func<T, (Strategy Strategy, string ModelVersion, Arm Arm)> served)
    {
        var (strategy, version, arm) = served(answer);
        HandlerTelemetry.TagAnswer(context, Strategies.Name(strategy), version, Arms.Name(arm));
        return TypedResults.Ok(answer);
    }

    /// <summary>userId on similar and popular only chooses the experiment arm: no token, it reveals nothing about the shopper.</summary>
    private static bool ShopperKey(string? userId, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = userId is { Length: 0 or > InputRules.MaxIdLength }
            ? Problems.Invalid("userId", $"userId must be 1 to {InputRules.MaxIdLength} characters: the shopper's or visitor's id, which chooses the experiment arm.")
            : null;
        return problem is null;
    }

    /// <summary>Always 200: the state of model, catalogue and storage is in the body.</summary>
    private static async Task<Ok<HealthResponse>> Health(ModelWatcher models, CatalogCache catalog, ActiveShoppers active, Search.SearchIndexWatcher search, DataStore store, CancellationToken ct)
    {
        bool reachable = false;
        // While the breaker is open storage is known to be down, and the polls make its trial calls.
        if (store.Breaker?.IsOpen != true)
        {
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
                // Unreachable: the answer says so.
            }
        }
        var served = models.Served;
        var model = served?.Control;
        var status = model is null ? "no-model" : reachable && models.LastLoadError is null ? "healthy" : "degraded";
        return TypedResults.Ok(new HealthResponse(
            status, model?.Version,
            model is null ? null : Math.Round((DateTimeOffset.UtcNow - model.Manifest.CreatedAt).TotalSeconds),
            model?.Manifest.TrainedUntil,
            new HealthCounts(model?.Artifacts.UserCount ?? 0, model?.ItemCount ?? 0, catalog.Count, model is not null && active.Covers(model) ? active.Count : null),
            reachable, models.LastLoadError, catalog.LoadedAt,
            served?.Experiment is { } running ? new HealthExperiment(running.Id, running.Version, running.Share) : null,
            search.CurrentVersion, search.LastLoadError));
    }

    /// <summary>401 (with a Bearer challenge) when the request brings no usable token, 403 when it is another shopper's.</summary>
    internal static bool Authorized(HttpRequest request, ShopperTokens tokens, string userId, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = tokens.Check(request.Headers.Authorization, userId) switch
        {
            ShopperTokenCheck.Valid => null,
            ShopperTokenCheck.Missing => Problems.Status(StatusCodes.Status401Unauthorized, "Shopper token required",
                "Recommendations for a shopper need the token the storefront back end mints for them: send Authorization: Bearer <token>."),
            ShopperTokenCheck.Malformed => Problems.Status(StatusCodes.Status401Unauthorized, "Invalid shopper token",
                "The Authorization header is not 'Bearer <expiry>.<mac>' as the storefront back end mints it."),
            ShopperTokenCheck.Expired => Problems.Status(StatusCodes.Status401Unauthorized, "Shopper token expired",
                "The token's expiry has passed: ask the storefront back end for a new one."),
            _ => Problems.Status(StatusCodes.Status403Forbidden, "Not this shopper's token",
                "The token was not minted for this user id (or not with this deployment's secret)."),
        };
        if (problem?.StatusCode == StatusCodes.Status401Unauthorized) request.HttpContext.Response.Headers.WWWAuthenticate = ShopperTokens.Scheme;
        return problem is null;
    }

    internal static bool Common(string? market, string? locale, string? count,
        out Market m, out string loc, out int n, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        loc = "";
        n = RecommendationRequest.DefaultCount;
        if (string.IsNullOrEmpty(market)) { m = null!; problem = Problems.Invalid("market", "market is required: an ISO 3166-1 alpha-2 code such as DE."); return false; }
        if (!Markets.TryGet(market, out m))
        {
            problem = Problems.Invalid("market", $"market '{Truncate(market)}' is not a market this shop sells into. Known: {string.Join(", ", Markets.Known.Select(k => k.Code))}.");
            return false;
        }
        if (string.IsNullOrEmpty(locale)) loc = m.Languages[0];
        else if (Localization.IsWellFormedLocale(locale)) loc = locale;
        else { problem = Problems.Invalid("locale", $"locale '{Truncate(locale)}' is not a BCP 47 language tag such as de-AT."); return false; }
        if (count is not null && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > MaxCount))
        {
            problem = Problems.Invalid("count", $"count must be a whole number from 1 to {MaxCount}.");
            return false;
        }
        problem = null;
        return true;
    }

    private static bool Category(string? category, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = category is { Length: > InputRules.MaxIdLength }
            ? Problems.Invalid("category", $"category is longer than {InputRules.MaxIdLength} characters.")
            : null;
        return problem is null;
    }

    private static bool Fraction(string? text, string name, out float value, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        value = 0;
        problem = null;
        if (text is null) return true;
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 1) return true;
        problem = Problems.Invalid(name, $"{name} must be a number from 0 to 1.");
        return false;
    }

    private static bool Flag(string? text, string name, out bool value, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        value = false;
        problem = null;
        if (text is null || bool.TryParse(text, out value)) return true;
        problem = Problems.Invalid(name, $"{name} must be true or false.");
        return false;
    }

    private static ProblemHttpResult Unavailable() => Problems.Unavailable("No model", NoModel);

    internal static string Truncate(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
