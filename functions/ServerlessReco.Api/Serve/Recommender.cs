using System.Diagnostics;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Feedback;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The serving edge of <see cref="RankingPipeline"/>: turns the raw shopper id into the pseudonym, reads their
/// recent events (only when <see cref="ActiveShoppers"/> says there may be some the model has not seen), leaves out what an erasure covers, ranks, and localizes titles. Ranking itself is the pipeline `evaluate` measures.
/// </summary>
public sealed class Recommender(
    DataStore store, CatalogCache catalog, Pseudonymizer pseudonymizer, ErasedShoppers erasures, ActiveShoppers active, ImpressionRecorder impressions,
    HandlerTelemetry telemetry, ServeOptions settings, ILogger<Recommender> logger)
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
    public async Task<RecommendationsResponse> RecommendAsync(ServedModels served, string userId, string locale, RecommendationRequest request, ScorerChain? chain, CancellationToken ct)
    {
        // The raw id never reaches storage or the model: both are keyed by the pseudonym, computed once per request.
        var user = pseudonymizer.Pseudonymize(userId);
        var (model, arm) = served.Choose(user);
        var (shopper, fresh) = await HistoryAsync(model, user, ct);
        long started = Stopwatch.GetTimestamp();
        RankedList ranked;
        using (HandlerTelemetry.Source.StartActivity("rank"))
            ranked = Pipeline(chain ?? settings.Strategy).Recommend(model, catalog, shopper, request);
        telemetry.Ranked("recommendations", Strategies.Name(ranked.Strategy), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var id = Record(ranked, model, arm, served.Experiment, request.Market!);
        return new RecommendationsResponse(id, model.Version, ranked.Strategy, arm, served.Experiment?.Id, request.Market!, locale, Localized(ranked, locale), FreshEventsUnavailable: !fresh);
    }

    /// <summary>
    /// What the model and the shopper's recent events say about them (erased events left out); Fresh is false
    /// when the events could not be read and the model alone speaks.
    /// </summary>
    public Task<(ShopperHistory Shopper, bool Fresh)> ShopperAsync(ServingModel model, string userId, CancellationToken ct) =>
        HistoryAsync(model, pseudonymizer.Pseudonymize(userId), ct);

    private async Task<(ShopperHistory Shopper, bool Fresh)> HistoryAsync(ServingModel model, string user, CancellationToken ct)
    {
        int row = model.UserIndex.TryGetValue(user, out int known) ? known : -1;
        var erasedAt = await erasures.ErasedAtAsync(user, ct);
        // A shopper known to have nothing stored since the model was trained costs no storage call: the model holds it all.
        var events = active.MayHaveFreshEvents(model, user) ? await ReadEventsAsync(user, ct) : [];
        return (ShopperHistory.From(events ?? [], model, row, DateTimeOffset.UtcNow, erasedAt), events is not null);
    }

    /// <summary>
    /// The version a request is answered with. Requests without a shopper id (similar, popular) may name one in
    /// userId, anonymous visitors included: it is pseudonymised like any id, so a shopper sees one arm everywhere.
    /// </summary>
    public (ServingModel Model, Arm Arm) Choose(ServedModels served, string? userId) =>
        served.Choose(userId is null || served.Experiment is null ? null : pseudonymizer.Pseudonymize(userId));

    public PopularResponse Popular(ServedModels served, (ServingModel Model, Arm Arm) chosen, Market market, string locale, string? category, int count)
    {
        long started = Stopwatch.GetTimestamp();
        var ranked = Pipeline(ScorerChain.Als).Popular(chosen.Model, catalog, market.Code, category, count);
        telemetry.Ranked("popular", Strategies.Name(ranked.Strategy), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var id = Record(ranked, chosen.Model, chosen.Arm, served.Experiment, market.Code);
        return new(id, chosen.Model.Version, ranked.Strategy, chosen.Arm, served.Experiment?.Id, market.Code, locale, category, Localized(ranked, locale));
    }

    public SimilarItemsResponse Similar(ServedModels served, (ServingModel Model, Arm Arm) chosen, int item, Market market, string locale, int count)
    {
        long started = Stopwatch.GetTimestamp();
        var ranked = Pipeline(ScorerChain.Als).Similar(chosen.Model, catalog, item, market.Code, count);
        telemetry.Ranked("similar", Strategies.Name(ranked.Strategy), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var id = Record(ranked, chosen.Model, chosen.Arm, served.Experiment, market.Code);
        return new(id, chosen.Model.Artifacts.ItemIds[item], chosen.Model.Version, ranked.Strategy, chosen.Arm, served.Experiment?.Id, market.Code, locale, Localized(ranked, locale));
    }

    private string Record(RankedList ranked, ServingModel model, Arm arm, ModelExperiment? experiment, string market)
    {
        var shown = new string[ranked.Items.Count];
        for (int i = 0; i < shown.Length; i++) shown[i] = ranked.Items[i].Item.Id;
        return Record(shown, ranked.Strategy, model.Version, arm, experiment, market);
    }

    /// <summary>
    /// A new recommendation id, and the items shown under it queued as impressions (off the request path);
    /// <paramref name="version"/> is what produced the list: a model version, or a search index version.
    /// </summary>
    public string Record(string[] shownItems, Strategy strategy, string version, Arm arm, ModelExperiment? experiment, string market)
    {
        var id = RecommendationIds.New();
        if (shownItems.Length > 0) impressions.Record(new ShownItems(id, shownItems, strategy, version, arm, experiment?.Id, market, DateTimeOffset.UtcNow));
        return id;
    }

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
        using var span = HandlerTelemetry.Source.StartActivity("read recent events");
        long started = Stopwatch.GetTimestamp();
        try
        {
            var events = await store.RecentEvents.ReadRecentAsync(user, DateTimeOffset.MinValue, MaxRecentEvents, budget.Token);
            telemetry.Storage("recent-events", true, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return events;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            telemetry.Storage("recent-events", false, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            // Recommending from the stored model beats failing the storefront's request. One line, not a stack per
            // request: during an outage every request lands here.
            logger.LogWarning("Reading recent events failed ({Reason}); answering from the model alone", e.GetType().Name);
            return null;
        }
    }
}
