using ServerlessReco.Domain;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The serving edge of <see cref="RankingPipeline"/>: turns the raw shopper id into the pseudonym, reads their
/// recent events (only when <see cref="ActiveShoppers"/> says there may be some the model has not seen), leaves out what an erasure covers, ranks, and localizes titles. Ranking itself is the pipeline `evaluate` measures.
/// </summary>
public sealed class Recommender(DataStore store, CatalogCache catalog, Pseudonymizer pseudonymizer, ErasedShoppers erasures, ActiveShoppers active, ServeOptions settings, ILogger<Recommender> logger)
{
    /// <summary>The events table keeps more, but 200 recent events say all a session can say about intent.</summary>
    public const int MaxRecentEvents = 200;

    /// <summary>
    /// The most a recommendation waits for the events table: beyond it the model alone answers. A bound for a slow
    /// table; while storage is down the store's breaker fails the read at once.
    /// </summary>
    public static readonly TimeSpan EventsReadBudget = TimeSpan.FromSeconds(1);

    // One pipeline per scorer chain, built once: a request only picks one. Popular and similar items use no scorer.
    private readonly RankingPipeline[] _pipelines = [.. Enum.GetValues<ScorerChain>().Select(chain => new RankingPipeline(
        ScorerChains.Scorers(chain, settings.SequenceBlendWeight),
        new RankingOptions { RepeatPurchaseCategories = settings.RepeatPurchaseCategories, SimilarContentWeight = settings.SimilarContentWeight }))];

    private RankingPipeline Pipeline(ScorerChain chain) => _pipelines[(int)chain];

    /// <param name="chain">The scorers asked for; null: the deployment's default (RECO_STRATEGY).</param>
    public async Task<RecommendationsResponse> RecommendAsync(ServingModel model, string userId, string locale, RecommendationRequest request, ScorerChain? chain, CancellationToken ct)
    {
        var (shopper, fresh) = await ShopperAsync(model, userId, ct);
        var ranked = Pipeline(chain ?? settings.Strategy).Recommend(model, catalog, shopper, request);
        return new RecommendationsResponse(model.Version, ranked.Strategy, request.Market!, locale, Localized(ranked, locale), FreshEventsUnavailable: !fresh);
    }

    /// <summary>
    /// What the model and the shopper's recent events say about them (erased events left out); Fresh is false
    /// when the events could not be read and the model alone speaks.
    /// </summary>
    public async Task<(ShopperHistory Shopper, bool Fresh)> ShopperAsync(ServingModel model, string userId, CancellationToken ct)
    {
        // The raw id never reaches storage or the model: both are keyed by the pseudonym.
        var user = pseudonymizer.Pseudonymize(userId);
        int row = model.UserIndex.TryGetValue(user, out int known) ? known : -1;
        var erasedAt = await erasures.ErasedAtAsync(user, ct);
        // A shopper known to have nothing stored since the model was trained costs no storage call: the model holds it all.
        var events = active.MayHaveFreshEvents(model, user) ? await ReadEventsAsync(user, ct) : [];
        return (ShopperHistory.From(events ?? [], model, row, DateTimeOffset.UtcNow, erasedAt), events is not null);
    }

    public PopularResponse Popular(ServingModel model, Market market, string locale, string? category, int count) =>
        new(model.Version, market.Code, locale, category, Localized(Pipeline(ScorerChain.Als).Popular(model, catalog, market.Code, category, count), locale));

    public SimilarItemsResponse Similar(ServingModel model, int item, Market market, string locale, int count) =>
        new(model.Artifacts.ItemIds[item], model.Version, market.Code, locale, Localized(Pipeline(ScorerChain.Als).Similar(model, catalog, item, market.Code, count), locale));

    private static List<RecommendedItem> Localized(RankedList ranked, string locale)
    {
        var items = new List<RecommendedItem>(ranked.Items.Count);
        foreach (var r in ranked.Items) items.Add(new RecommendedItem(r.Item.Id, r.Score, r.Category, Localization.Title(r.Item, locale), r.Reason));
        return items;
    }

    /// <summary>The shopper's recent events; null when they could not be read within <see cref="EventsReadBudget"/>.</summary>
    private async Task<List<InteractionEvent>?> ReadEventsAsync(string user, CancellationToken ct)
    {
        // While open, the breaker lets a trial call through now and then; the model poll and health make those, so
        // that no shopper waits on one.
        if (store.Breaker?.IsOpen == true) return null;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(EventsReadBudget);
        try
        {
            return await store.RecentEvents.ReadRecentAsync(user, DateTimeOffset.MinValue, MaxRecentEvents, budget.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Recommending from the stored model beats failing the storefront's request. One line, not a stack per
            // request: during an outage every request lands here.
            logger.LogWarning("Reading recent events failed ({Reason}); answering from the model alone", e.GetType().Name);
            return null;
        }
    }
}
