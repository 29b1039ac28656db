using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Domain;
using ServerlessReco.Evaluate;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Sequence;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Evaluate;

/// <summary>Next-order figures (<see cref="NextOrderEvaluation"/>) of a time split's test period, one row per method.</summary>
public sealed record NextOrderReport(int Orders, int Shoppers, int NewShoppers, List<NextOrderResult> Results, double Seconds);

/// <summary>
/// The sequence model and its blend with ALS through the served pipeline. The blend's weight is chosen on the
/// validation split inside the training part (models trained on that split's training part only), then the
/// test split is ranked with the weight chosen. A time split's test period is also replayed order by order
/// (<see cref="NextOrderEvaluation"/>) for ALS with fold-in, the sequence model, the blend and market popularity.
/// </summary>
internal static class SequenceEvaluation
{
    private static readonly float[] Weights = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f];

    public static (List<MethodResult> Results, NextOrderReport? NextOrder) Run(EvaluationSplit split, string splitSpec, ModelArtifacts als, SequenceOptions options, int k,
        TrainSettings settings, IReadOnlyDictionary<string, CatalogItem> catalog, EvaluationContext context)
    {
        var validationSpec = EvaluateJob.ValidationSpec(splitSpec);
        var servedCatalog = new FixedCatalog(catalog);
        var request = new RecommendationRequest { Market = null };

        var clock = Stopwatch.StartNew();
        var validation = EvaluationSplit.Build(split.TrainEvents, validationSpec, settings.Parameters.Interactions);
        var validationAls = TrainedModel.Build(validation.Train, ImplicitAls.Fit(validation.Train.UserItems, settings.Als), settings.Parameters, catalog, DateTimeOffset.UtcNow);
        var validationModel = ServingModel.Build(SequenceModel.Add(validationAls, validation.TrainEvents, options, Print));
        float bestWeight = Weights[0];
        double bestNdcg = double.NegativeInfinity;
        foreach (float weight in Weights)
        {
            double ndcg = Evaluator.Evaluate(validation.Train.UserItems, validation.Test,
                EvaluateJob.ServedRanker(validationModel, servedCatalog, validation.Train, request, ScorerChains.Scorers(ScorerChain.AlsSequence, weight)), k, settings.Threads).Ndcg;
            if (ndcg > bestNdcg) (bestNdcg, bestWeight) = (ndcg, weight);
        }
        // The next-order protocol gets its own weight, chosen by replaying the validation period's orders the same way.
        bool byTime = splitSpec.StartsWith("time:", StringComparison.Ordinal);
        float orderWeight = bestWeight;
        double orderNdcg = double.NegativeInfinity;
        if (byTime)
        {
            var validationOrders = NextOrderEvaluation.Orders(validation.TestEvents);
            foreach (float weight in Weights)
            {
                double ndcg = NextOrderEvaluation.Evaluate("blend", validationModel, servedCatalog, validationOrders, ScorerChains.Scorers(ScorerChain.AlsSequence, weight), k, settings.Threads).Ndcg;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation next-order NDCG@{k}, blend weight {weight}: {ndcg:F4}"));
                if (ndcg > orderNdcg) (orderNdcg, orderWeight) = (ndcg, weight);
            }
        }
        double tuneSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var model = ServingModel.Build(SequenceModel.Add(als, split.TrainEvents, options, Print));
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var results = new List<MethodResult>();
        void Served(string name, IReadOnlyList<IScorer> scorers, double setupSeconds)
        {
            var run = Stopwatch.StartNew();
            var metrics = Evaluator.Evaluate(split.Train.UserItems, split.Test,
                EvaluateJob.ServedRanker(model, servedCatalog, split.Train, request, scorers), k, settings.Threads, context);
            results.Add(new MethodResult(name, metrics, setupSeconds + run.Elapsed.TotalSeconds));
        }
        Served($"served, sequence ({model.Manifest.Metrics["sequence.bestEpoch"]} epochs)", ScorerChains.Scorers(ScorerChain.Sequence, bestWeight), trainSeconds);
        Served(string.Create(CultureInfo.InvariantCulture, $"served, blend ALS + sequence (weight {bestWeight} chosen on validation, NDCG {bestNdcg:F4})"),
            ScorerChains.Scorers(ScorerChain.AlsSequence, bestWeight), trainSeconds + tuneSeconds);
        if (!byTime) return (results, null);

        clock.Restart();
        var orders = NextOrderEvaluation.Orders(split.TestEvents);
        var nextOrder = new List<NextOrderResult>();
        foreach (var (name, scorers) in new (string, IReadOnlyList<IScorer>)[]
        {
            ("ALS with fold-in (served default)", ScorerChains.Scorers(ScorerChain.Als, bestWeight)),
            ("sequence", ScorerChains.Scorers(ScorerChain.Sequence, bestWeight)),
            (string.Create(CultureInfo.InvariantCulture, $"blend ALS + sequence (weight {bestWeight}, chosen on the time-split validation)"), ScorerChains.Scorers(ScorerChain.AlsSequence, bestWeight)),
            (string.Create(CultureInfo.InvariantCulture, $"blend ALS + sequence (weight {orderWeight}, chosen on validation orders, NDCG {orderNdcg:F4})"), ScorerChains.Scorers(ScorerChain.AlsSequence, orderWeight)),
            ("popularity (market)", [new PopularityScorer()]),
        })
            nextOrder.Add(NextOrderEvaluation.Evaluate(name, model, servedCatalog, orders, scorers, k, settings.Threads));
        var shoppers = orders.Select(o => o.User).Distinct(StringComparer.Ordinal).ToList();
        return (results, new NextOrderReport(orders.Count, shoppers.Count, shoppers.Count(u => !model.UserIndex.ContainsKey(u)), nextOrder, clock.Elapsed.TotalSeconds));
    }

    // Training takes minutes per model: each epoch is reported as it ends, on stderr beside the progress display.
    private static void Print(SequenceEpochReport report) => Console.Error.WriteLine(SequenceModel.Describe(report));
}
