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

/// <summary>
/// The sequence model and its blend with ALS through the served pipeline. The blend's weight is chosen on the
/// validation split inside the training part (models trained on that split's training part only), then the
/// test split is ranked with the weight chosen.
/// </summary>
internal static class SequenceEvaluation
{
    private static readonly float[] Weights = [0.25f, 0.5f, 0.75f];

    public static IEnumerable<MethodResult> Run(EvaluationSplit split, string validationSpec, ModelArtifacts als, SequenceOptions options, int k,
        TrainSettings settings, IReadOnlyDictionary<string, CatalogItem> catalog, EvaluationContext context)
    {
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
                EvaluateJob.ServedRanker(validationModel, servedCatalog, validation.Train, request, [new BlendScorer(weight), new PopularityScorer()]), k, settings.Threads).Ndcg;
            if (ndcg > bestNdcg) (bestNdcg, bestWeight) = (ndcg, weight);
        }
        double tuneSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var model = ServingModel.Build(SequenceModel.Add(als, split.TrainEvents, options, Print));
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var results = new List<MethodResult>();
        void Served(string name, IScorer scorer, double setupSeconds)
        {
            var run = Stopwatch.StartNew();
            var metrics = Evaluator.Evaluate(split.Train.UserItems, split.Test,
                EvaluateJob.ServedRanker(model, servedCatalog, split.Train, request, [scorer, new PopularityScorer()]), k, settings.Threads, context);
            results.Add(new MethodResult(name, metrics, setupSeconds + run.Elapsed.TotalSeconds));
        }
        Served($"served, sequence ({model.Manifest.Metrics["sequence.bestEpoch"]} epochs)", new SequenceScorer(), trainSeconds);
        Served(string.Create(CultureInfo.InvariantCulture, $"served, blend ALS + sequence (weight {bestWeight} chosen on validation, NDCG {bestNdcg:F4})"),
            new BlendScorer(bestWeight), trainSeconds + tuneSeconds);
        return results;
    }

    // Training takes minutes per model: each epoch is reported as it ends, on stderr beside the progress display.
    private static void Print(SequenceEpochReport report) => Console.Error.WriteLine(SequenceModel.Describe(report));
}
