using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ServerlessReco.Evaluate;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Storage;
using ServerlessReco.Train;
using Spectre.Console;

namespace ServerlessReco.Jobs.Evaluate;

public sealed record MethodResult(string Method, EvaluationResult Metrics, double Seconds);

public sealed record EvaluationReport(string Split, int K, int TrainUsers, int TrainItems, long TrainNonZeros, int TestUsers, long TestPairs,
    Dictionary<string, string> Parameters, List<MethodResult> Results, List<TuningTrial>? Tuning)
{
    /// <summary>ALS NDCG@k over market popularity's: the figure the accuracy target and the nightly gate use.</summary>
    public double AlsLift => Results.First(r => r.Method == MarketPopularity).Metrics.Ndcg is > 0 and var market
        ? Results.Last().Metrics.Ndcg / market : double.NaN;

    public const string MarketPopularity = "popularity (market)";
}

public sealed record TuningTrial(int Factors, float Alpha, float Regularization, double ValidationNdcg);

public static class EvaluateJob
{
    public static async Task<EvaluationReport> RunAsync(DataStore store, string splitSpec, int k, TrainSettings settings, bool tune, string? jsonPath, CancellationToken ct)
    {
        var events = await store.EventLog.ReadDistinctAsync(settings.Until, ct: ct).ConfigureAwait(false);
        var split = EvaluationSplit.Build(events, splitSpec, settings.Weights, settings.HalfLifeDays);
        int testUsers = Enumerable.Range(0, split.Test.Rows).Count(u => split.Test.RowLength(u) > 0);
        AnsiConsole.MarkupLine($"{split.Description}: train users {split.Train.UserIds.Length:N0}, items {split.Train.ItemIds.Length:N0}, non-zeros {split.Train.UserItems.NonZeros:N0}; test users {testUsers:N0}, pairs {split.Test.NonZeros:N0}");
        if (testUsers == 0) throw new InvalidOperationException($"The {split.Description} leaves no test user with a new item: choose an earlier date or another split.");

        List<TuningTrial>? trials = null;
        if (tune)
        {
            (settings, trials) = Tune(split.TrainEvents, splitSpec, k, settings);
            AnsiConsole.MarkupLine($"tuned on the validation split: factors {settings.Factors}, alpha {settings.Alpha}, regularization {settings.Regularization}");
        }

        var results = new List<MethodResult>();
        var train = split.Train;
        MethodResult Run(string name, UserScorer scorer, double setupSeconds)
        {
            var clock = Stopwatch.StartNew();
            var metrics = Evaluator.Evaluate(train.UserItems, split.Test, scorer, k, settings.Threads);
            var result = new MethodResult(name, metrics, setupSeconds + clock.Elapsed.TotalSeconds);
            results.Add(result);
            return result;
        }

        Run("popularity (global)", PopularityBaseline.Global(train.UserItems), 0);
        Run(EvaluationReport.MarketPopularity, PopularityBaseline.PerMarket(train.UserItems, train.UserMarket, train.Markets.Length, settings.PopularityShrinkage), 0);
        var knnClock = Stopwatch.StartNew();
        var knn = new ItemKnnBaseline(train.UserItems);
        Run("item-kNN (cosine)", knn.Score, knnClock.Elapsed.TotalSeconds);
        var alsClock = Stopwatch.StartNew();
        var factors = await TrainJob.FitAsync(train.UserItems, settings.Als, ct).ConfigureAwait(false);
        Run($"ALS ({settings.Factors} factors)", AlsScorer(factors), alsClock.Elapsed.TotalSeconds);

        var report = new EvaluationReport(split.Description, k, train.UserIds.Length, train.ItemIds.Length, train.UserItems.NonZeros, testUsers, split.Test.NonZeros,
            settings.Describe(), results, trials);
        Print(report);
        if (jsonPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(report, JobsJsonContext.Default.EvaluationReport), ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine($"metrics written to {Markup.Escape(jsonPath)}");
        }
        return report;
    }

    public static UserScorer AlsScorer(AlsFactors factors) =>
        (user, scores) => Scoring.ScoreAll(factors.ItemFactors, factors.Factors, factors.User(user), scores);

    /// <summary>
    /// Grid search on a validation split carved out of the training part only (the last 30 days before the test
    /// period for a time split; a further stratified split otherwise), so the test part never informs a choice.
    /// </summary>
    private static (TrainSettings, List<TuningTrial>) Tune(IReadOnlyList<ServerlessReco.Domain.InteractionEvent> trainEvents, string splitSpec, int k, TrainSettings settings)
    {
        string validationSpec;
        if (splitSpec.StartsWith("time:", StringComparison.Ordinal))
        {
            var at = DateTimeOffset.Parse(splitSpec[5..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            validationSpec = $"time:{at.AddDays(-30):yyyy-MM-dd}";
        }
        else validationSpec = "stratified:0.8:7";
        var validation = EvaluationSplit.Build(trainEvents, validationSpec, settings.Weights, settings.HalfLifeDays);
        var trials = new List<TuningTrial>();
        var best = settings;
        double bestNdcg = -1;
        foreach (int factors in new[] { 32, 64, 128 })
        foreach (float alpha in new[] { 1f, 3f, 10f })
        foreach (float reg in new[] { 1f, 10f, 50f })
        {
            var candidate = settings with { Factors = factors, Alpha = alpha, Regularization = reg };
            var fit = ImplicitAls.Fit(validation.Train.UserItems, candidate.Als);
            var metrics = Evaluator.Evaluate(validation.Train.UserItems, validation.Test, AlsScorer(fit), k, settings.Threads);
            trials.Add(new TuningTrial(factors, alpha, reg, metrics.Ndcg));
            if (metrics.Ndcg > bestNdcg) { bestNdcg = metrics.Ndcg; best = candidate; }
        }
        return (best, trials);
    }

    private static void Print(EvaluationReport report)
    {
        var table = new Table().Title($"{Markup.Escape(report.Split)}, full ranking, k = {report.K}")
            .AddColumn("method").AddColumn(new TableColumn($"Precision@{report.K}").RightAligned()).AddColumn(new TableColumn($"Recall@{report.K}").RightAligned())
            .AddColumn(new TableColumn($"NDCG@{report.K}").RightAligned()).AddColumn(new TableColumn($"MAP@{report.K}").RightAligned())
            .AddColumn(new TableColumn("hit rate").RightAligned()).AddColumn(new TableColumn("coverage").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var r in report.Results)
        {
            var m = r.Metrics;
            table.AddRow(Markup.Escape(r.Method), F(m.Precision), F(m.Recall), F(m.Ndcg), F(m.Map), F(m.HitRate), F(m.Coverage), r.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"ALS NDCG@{report.K} / market popularity NDCG@{report.K} = [bold]{report.AlsLift:F2}x[/]");
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
