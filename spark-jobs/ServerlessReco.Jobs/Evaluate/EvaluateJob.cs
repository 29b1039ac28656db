using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Embed;
using ServerlessReco.Evaluate;
using ServerlessReco.Catalog;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Rank;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Evaluate;

public sealed record MethodResult(string Method, EvaluationResult Metrics, double Seconds);

public sealed record EvaluationReport(string Split, int K, int TrainUsers, int TrainItems, long TrainNonZeros, int TestUsers, long TestPairs,
    TrainingParameters Parameters, List<MethodResult> Results, List<TuningTrial>? Tuning, ContentQualityReport? Content = null)
{
    public const string MarketPopularity = "popularity (market)";
    public const string Served = "served pipeline";

    /// <summary>NDCG@k of what shoppers get (the served pipeline) over market popularity's: the accuracy target and the nightly gate.</summary>
    public double ServedLift => Ndcg(MarketPopularity) is > 0 and var market ? Ndcg(Served) / market : double.NaN;

    private double Ndcg(string method) => Results.First(r => r.Method == method).Metrics.Ndcg;

    /// <summary>What a model version trained with these parameters carries in its manifest.</summary>
    public Publish.OfflineEvaluation ToOfflineEvaluation(DateTimeOffset evaluatedAt) => new()
    {
        EvaluatedAt = evaluatedAt, Split = Split, K = K, TestUsers = TestUsers, Parameters = Parameters,
        Methods = [.. Results.Select(r => new Publish.EvaluatedMethod(r.Method, r.Metrics))],
        ColdStart = Content?.ColdStart.Select(r => new Publish.EvaluatedMethod(r.Method, r.Metrics)).ToList(),
        Similar = Content?.Similar.Select(r => new Publish.EvaluatedMethod(r.Method, r.Metrics)).ToList(),
    };
}

public sealed record TuningTrial(int Factors, float Alpha, float Regularization, double ValidationNdcg);

public static class EvaluateJob
{
    /// <summary>The diversity of the second served configuration: what a storefront asking for variety gets.</summary>
    public const float DiverseServingDiversity = 0.3f;

    /// <summary>
    /// Splits the event log, optionally tunes on a validation split inside the training part (and stores the choice
    /// for `train`), then ranks the test users with the baselines, raw ALS scores and the served pipeline. With
    /// <paramref name="encoderDirectory"/> it adds the content-quality figures (<see cref="ContentQualityEvaluation"/>).
    /// </summary>
    public static async Task<EvaluationReport> RunAsync(DataStore store, string splitSpec, int k, TrainSettings settings, bool tune, CancellationToken ct,
        string? encoderDirectory = null)
    {
        // Loaded before the slow part so a wrong folder fails at once.
        using var encoder = encoderDirectory is null ? null : TextEncoder.Load(encoderDirectory);
        var events = await store.EventLog.ReadDistinctAsync(settings.Until, ct: ct).ConfigureAwait(false);
        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);
        var split = EvaluationSplit.Build(events, splitSpec, settings.Parameters.Interactions);
        int testUsers = Enumerable.Range(0, split.Test.Rows).Count(u => split.Test.RowLength(u) > 0);
        if (testUsers == 0) throw new InvalidOperationException($"The {split.Description} leaves no test user with a new item: choose an earlier date or another split.");

        List<TuningTrial>? trials = null;
        if (tune)
        {
            (settings, trials) = Tune(split.TrainEvents, splitSpec, k, settings, catalog);
            await store.Models.WriteTunedParametersAsync(settings.Parameters, ct).ConfigureAwait(false);
        }

        var results = new List<MethodResult>();
        var train = split.Train;
        var factorsClock = Stopwatch.StartNew();
        var factors = ImplicitAls.Fit(train.UserItems, settings.Als, ct: ct);
        double alsSeconds = factorsClock.Elapsed.TotalSeconds;
        var model = ServingModel.Build(TrainedModel.Build(train, factors, settings.Parameters, catalog, DateTimeOffset.UtcNow));
        var context = EvaluationContext.From(train, model.Categories);

        void Run(string name, double setupSeconds, Func<EvaluationResult> evaluate)
        {
            var clock = Stopwatch.StartNew();
            var metrics = evaluate();
            results.Add(new MethodResult(name, metrics, setupSeconds + clock.Elapsed.TotalSeconds));
        }
        void Scored(string name, UserScorer scorer, double setupSeconds) =>
            Run(name, setupSeconds, () => Evaluator.Evaluate(train.UserItems, split.Test, scorer, k, settings.Threads, context));

        Scored("popularity (global)", PopularityBaseline.Global(train.UserItems), 0);
        Scored(EvaluationReport.MarketPopularity, PopularityBaseline.PerMarket(train.UserItems, train.UserMarket, train.Markets.Length, settings.Parameters.PopularityShrinkage), 0);
        var knnClock = Stopwatch.StartNew();
        var knn = new ItemKnnBaseline(train.UserItems);
        Scored("item-kNN (cosine)", knn.Score, knnClock.Elapsed.TotalSeconds);
        Scored($"ALS ({settings.Parameters.Als.Factors} factors, raw scores)", AlsScorer(factors), alsSeconds);
        var servedCatalog = new FixedCatalog(catalog);
        Run(EvaluationReport.Served, alsSeconds, () => Evaluator.Evaluate(train.UserItems, split.Test,
            ServedRanker(model, servedCatalog, train, new RecommendationRequest { Market = null }), k, settings.Threads, context));
        Run($"served, diversity {DiverseServingDiversity.ToString(CultureInfo.InvariantCulture)} + cross-category", alsSeconds, () => Evaluator.Evaluate(train.UserItems, split.Test,
            ServedRanker(model, servedCatalog, train, new RecommendationRequest { Market = null, Diversity = DiverseServingDiversity, CrossCategory = true }), k, settings.Threads, context));

        if (settings.Sequence is { } sequence)
            results.AddRange(SequenceEvaluation.Run(split, ValidationSpec(splitSpec), model.Artifacts, sequence, k, settings, catalog, context));

        var content = encoder is null ? null
            : ContentQualityEvaluation.Run(split, model.Artifacts, catalog, encoder, settings.Parameters.Interactions, k, settings.Threads, ct);
        var report = new EvaluationReport(split.Description, k, train.UserIds.Length, train.ItemIds.Length, train.UserItems.NonZeros, testUsers, split.Test.NonZeros,
            settings.Parameters, results, trials, content);
        await store.Models.WriteEvaluationAsync(report.ToOfflineEvaluation(DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        return report;
    }

    public static async Task WriteJsonAsync(EvaluationReport report, string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, JobsJsonContext.Default.EvaluationReport), ct).ConfigureAwait(false);
    }

    public static UserScorer AlsScorer(AlsFactors factors) =>
        (user, scores) => Scoring.ScoreAll(factors.ItemFactors, factors.Factors, factors.User(user), scores);

    /// <summary>
    /// Each test user's list as the recommendations endpoint would answer them right after training: the pipeline
    /// serving runs, over the model a published version would hold, in the user's latest market (any market when
    /// it is unknown), with the catalogue's filters. No events arrived after training, so there is nothing to fold in.
    /// </summary>
    public static UserRanker ServedRanker(ServingModel model, IServingCatalog catalog, TrainingData train, RecommendationRequest request,
        IReadOnlyList<IScorer>? scorers = null)
    {
        var pipeline = new RankingPipeline(scorers ?? RankingPipeline.DefaultScorers, new RankingOptions());
        return (user, list) =>
        {
            var market = train.Markets[train.UserMarket[user]];
            var shopper = ShopperHistory.From([], model, user, model.Manifest.TrainedUntil);
            var ranked = pipeline.Recommend(model, catalog, shopper,
                request with { Market = market == Publish.ModelArtifacts.GlobalMarket ? null : market, Count = list.Length });
            for (int i = 0; i < ranked.Items.Count; i++) list[i] = ranked.Items[i].Index;
            return ranked.Items.Count;
        };
    }

    /// <summary>The validation split inside the training part: the last 30 days before a time split's test period.</summary>
    internal static string ValidationSpec(string splitSpec)
    {
        if (!splitSpec.StartsWith("time:", StringComparison.Ordinal)) return "stratified:0.8:7";
        var at = DateTimeOffset.Parse(splitSpec[5..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return $"time:{at.AddDays(-30):yyyy-MM-dd}";
    }

    /// <summary>
    /// Grid search of the served pipeline's NDCG@k on a validation split carved out of the training part only (the
    /// last 30 days before the test period for a time split; a further stratified split otherwise), so the test
    /// part never informs a choice.
    /// </summary>
    private static (TrainSettings, List<TuningTrial>) Tune(IReadOnlyList<InteractionEvent> trainEvents, string splitSpec, int k, TrainSettings settings,
        IReadOnlyDictionary<string, CatalogItem> catalog)
    {
        var validation = EvaluationSplit.Build(trainEvents, ValidationSpec(splitSpec), settings.Parameters.Interactions);
        var servedCatalog = new FixedCatalog(catalog);
        var trials = new List<TuningTrial>();
        var best = settings;
        double bestNdcg = -1;
        foreach (int factors in new[] { 32, 64, 128 })
        foreach (float alpha in new[] { 1f, 3f, 10f })
        foreach (float reg in new[] { 1f, 10f, 50f })
        {
            var candidate = settings with { Parameters = settings.Parameters with { Als = settings.Parameters.Als with { Factors = factors, Alpha = alpha, Regularization = reg } } };
            var fit = ImplicitAls.Fit(validation.Train.UserItems, candidate.Als);
            var model = ServingModel.Build(TrainedModel.Build(validation.Train, fit, candidate.Parameters, catalog, DateTimeOffset.UtcNow));
            var metrics = Evaluator.Evaluate(validation.Train.UserItems, validation.Test,
                ServedRanker(model, servedCatalog, validation.Train, new RecommendationRequest { Market = null }), k, settings.Threads);
            trials.Add(new TuningTrial(factors, alpha, reg, metrics.Ndcg));
            if (metrics.Ndcg > bestNdcg) { bestNdcg = metrics.Ndcg; best = candidate; }
        }
        var chosen = best.Parameters with
        {
            ChosenBy = string.Create(CultureInfo.InvariantCulture,
                $"evaluate --tune on the {validation.Description} before the {splitSpec} test period: served NDCG@{k} {bestNdcg:F4}, best of {trials.Count}"),
        };
        return (best with { Parameters = chosen }, trials);
    }
}
