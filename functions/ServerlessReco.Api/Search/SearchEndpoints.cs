using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Functions.Translate;
using ServerlessReco.Ingest;
using ServerlessReco.Rank;
using ServerlessReco.Search;

namespace ServerlessReco.Functions.Search;

public sealed record SearchHit(string ItemId, float Score, string Category, LocalizedTitle Title, Matched Matched);

/// <param name="RecommendationId">The id the storefront sends back with events on these items (attribution), as for recommendations; impressions are recorded under it with strategy search and the index version.</param>
/// <param name="Semantic">Whether semantic retrieval took part (an encoder is configured and made the index's embeddings).</param>
/// <param name="QueryTranslated">Whether the query was also searched in translation.</param>
/// <param name="Personalized">Whether the shopper's vector re-ranked the results (userId given and known to the model or with recent events).</param>
public sealed record SearchResponse(
    string RecommendationId, string Query, string Market, string Locale, string IndexVersion, bool Semantic, bool QueryTranslated, bool Personalized,
    IReadOnlyList<SearchHit> Items, string? ModelVersion = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SearchResponse))]
public partial class SearchJsonContext : JsonSerializerContext;

/// <summary>
/// GET /api/search: hybrid product search (BM25 with typo tolerance and semantic retrieval, fused by rank) over
/// the published search index, answering items sold in the market and in stock now, with localized titles.
/// </summary>
public static class SearchEndpoints
{
    public const int MaxQueryLength = 500;
    /// <summary>Each retrieval hands fusion this many times the requested count (at least <see cref="MinPool"/>), so market and stock filters rarely leave a list short.</summary>
    private const int PoolFactor = 4;
    private const int MinPool = 50;
    /// <summary>The most a search waits for the query's translations (cache, then the service) before searching without them.</summary>
    private static readonly TimeSpan TranslationBudget = TimeSpan.FromSeconds(1);
    /// <summary>Languages a query is translated into at most: the Translator's limit per request.</summary>
    private const int MaxTranslationLanguages = 10;

    /// <summary>The shopper's affinity (z-scored) counts half as much as relevance: a query names what they want now.</summary>
    private const float ShopperWeight = 0.5f;

    public static IServiceCollection AddSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SearchOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SearchOptions>, HandlerOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SearchOptions>>().Value);
        services.AddSingleton<SearchIndexWatcher>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SearchJsonContext.Default));
        return services;
    }

    public static RouteHandlerBuilder MapSearch(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api").WithAuthLevel(AuthLevel.Anonymous).WithTags("Search")
            .MapGet("/search", Search).RequiresShopperToken().ProducesProblems(400, 401, 403, 503);

    /// <summary>Products matching a text query in any catalogue language; with userId (and that shopper's token) re-ranked for them.</summary>
    private static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> Search(
        HttpRequest request, SearchIndexWatcher indexes, CatalogCache catalog, ModelWatcher models, Recommender recommender, ShopperTokens tokens,
        TranslationService translation, ILogger<SearchIndexWatcher> logger, string? q, string? market, string? locale, string? count, string? userId)
    {
        if (!Query(q, out var problem)) return problem;
        if (!ServeEndpoints.Common(market, locale, count, out var m, out var loc, out int n, out problem)) return problem;
        if (userId is not null)
        {
            if (userId.Length is 0 or > InputRules.MaxIdLength || userId.Any(char.IsControl))
                return Problems.Invalid("userId", $"userId must be 1 to {InputRules.MaxIdLength} characters without control characters.");
            if (!ServeEndpoints.Authorized(request, tokens, userId, out problem)) return problem;
        }
        var ct = request.HttpContext.RequestAborted;
        if (await indexes.CurrentAsync(ct) is not { } engine)
            return Problems.Unavailable("No search index", "No search index published yet: run ./reco jobs build-search-index.");

        var index = engine.Index;
        int pool = Math.Max(n * PoolFactor, MinPool);
        // Words are matched in the query and in its translations into the catalogue's languages; meaning needs none.
        var translations = await TranslateAsync(translation, q!, index.Manifest.Languages, logger, ct);
        var words = translations.Count == 0 ? q! : string.Join(' ', [q!, .. translations]);
        var fused = index.Search(words, engine.Encoder is { } encoder ? encoder.Embed([index.Corrected(q!)], 1) : [], pool);

        // Stock and markets change between index builds: the live catalogue decides, as for recommendations.
        var sellable = new List<(int Position, CatalogItem Item)>();
        var model = userId is null ? null : models.Current;
        int wanted = model is null ? n : pool;
        for (int i = 0; i < fused.Rows.Length && sellable.Count < wanted; i++)
            if (catalog.TryGet(index.ItemIds[fused.Rows[i]], out var item) && ItemFilter.Sellable(item, m.Code)) sellable.Add((i, item));

        bool personalized = false;
        if (model is not null && sellable.Count > 1)
        {
            var (shopper, _) = await recommender.ShopperAsync(model, userId!, ct);
            if (RankingPipeline.Affinity(model, shopper, [.. sellable.Select(s => s.Item.Id)]) is { } affinity)
            {
                sellable = [.. HybridRanking.Personalize([.. sellable.Select(s => fused.Scores[s.Position])], affinity, ShopperWeight).Select(i => sellable[i])];
                personalized = true;
            }
        }
        var hits = sellable.Take(n)
            .Select(s => new SearchHit(s.Item.Id, fused.Scores[s.Position], s.Item.Category, Localization.Title(s.Item, loc), fused.Matched[s.Position]))
            .ToList();
        // Search is not part of model experiments: every answer is the control arm's.
        var id = recommender.Record([.. hits.Select(h => h.ItemId)], Strategy.Search, index.Version, Arm.Control, null, m.Code);
        return TypedResults.Ok(new SearchResponse(id, q!, m.Code, loc, index.Version, engine.Encoder is not null, QueryTranslated: translations.Count > 0, personalized, hits, model?.Version));
    }

    /// <summary>
    /// The query in each language of the index (the Translator detects its own), through the translations cache
    /// so a query is billed once; empty when translation is off, fails or takes longer than <see cref="TranslationBudget"/>.
    /// </summary>
    private static async Task<List<string>> TranslateAsync(TranslationService translation, string q, string[] indexLanguages, ILogger logger, CancellationToken ct)
    {
        if (translation.CreateTranslator() is not { } translator || indexLanguages.Length == 0) return [];
        string[] languages = [.. indexLanguages.Take(MaxTranslationLanguages)];
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(TranslationBudget);
        try
        {
            var translated = await translator.TranslateAsync([q], languages, from: null, budget.Token);
            return [.. translated[0].Values.Where(t => !string.Equals(t, q, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal)];
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Searching in the query's own words beats failing the storefront's request.
            logger.LogWarning("Translating a search query failed ({Reason}); searching untranslated", e.GetType().Name);
            return [];
        }
    }

    private static bool Query(string? q, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = string.IsNullOrWhiteSpace(q) ? Problems.Invalid("q", "q is required: the words to search for.")
            : q.Length > MaxQueryLength ? Problems.Invalid("q", $"q is {q.Length} characters long; at most {MaxQueryLength} are accepted.")
            : q.Any(char.IsControl) ? Problems.Invalid("q", "q contains control characters (tabs, line breaks, ...): send the words only.")
            : null;
        return problem is null;
    }
}
