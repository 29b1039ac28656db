using System.Globalization;
using ServerlessReco.Jobs.Train;
using Spectre.Console;

namespace ServerlessReco.Jobs.Evaluate;

/// <summary>How the CLI shows what evaluate and train return.</summary>
public static class ModelReports
{
    public static void Render(EvaluationReport report)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"{report.Split}: train users {report.TrainUsers:N0}, items {report.TrainItems:N0}, non-zeros {report.TrainNonZeros:N0}; test users {report.TestUsers:N0}, pairs {report.TestPairs:N0}"));
        RenderParameters(report.Parameters);
        var table = new Table().Title($"{Markup.Escape(report.Split)}, full ranking, k = {report.K}")
            .AddColumn("method").AddColumn(Right($"Precision@{report.K}")).AddColumn(Right($"Recall@{report.K}"))
            .AddColumn(Right($"NDCG@{report.K}")).AddColumn(Right($"MAP@{report.K}")).AddColumn(Right("hit rate"))
            .AddColumn(Right("coverage")).AddColumn(Right("diversity")).AddColumn(Right("novelty (bits)")).AddColumn(Right("seconds"));
        foreach (var r in report.Results)
        {
            var m = r.Metrics;
            table.AddRow(Markup.Escape(r.Method), F(m.Precision), F(m.Recall), F(m.Ndcg), F(m.Map), F(m.HitRate), F(m.Coverage), F(m.Diversity),
                m.Novelty.ToString("F2", CultureInfo.InvariantCulture), r.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);

        var markets = report.Results.First(r => r.Method == EvaluationReport.Served).Metrics.Markets ?? [];
        if (markets.Count > 0)
        {
            var byMarket = new Table().Title($"NDCG@{report.K} in the {markets.Count} largest markets (test users)").AddColumn("method");
            foreach (var m in markets) byMarket.AddColumn(Right($"{m.Market} ({m.Users:N0})"));
            foreach (var r in report.Results)
            {
                var ndcg = (r.Metrics.Markets ?? []).ToDictionary(m => m.Market, m => m.Ndcg);
                byMarket.AddRow([Markup.Escape(r.Method), .. markets.Select(m => ndcg.TryGetValue(m.Market, out var v) ? F(v) : "")]);
            }
            AnsiConsole.Write(byMarket);
        }
        AnsiConsole.MarkupLine($"served pipeline NDCG@{report.K} / market popularity NDCG@{report.K} = [bold]{report.ServedLift.ToString("F2", CultureInfo.InvariantCulture)}x[/]");
    }

    public static void RenderParameters(ServerlessReco.Train.TrainingParameters parameters) =>
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"parameters: factors {parameters.Als.Factors}, iterations {parameters.Als.Iterations}, alpha {parameters.Als.Alpha}, regularization {parameters.Als.Regularization}, half-life {parameters.Interactions.HalfLifeDays} days ({parameters.ChosenBy})")));

    public static void Render(TrainResult r, string store)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"events {r.Events:N0} (distinct ids), users {r.Users:N0}, items {r.Items:N0}, non-zeros {r.NonZeros:N0}, read in {r.ReadSeconds:F1} s"));
        RenderParameters(r.Manifest.Training);
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"ALS: {r.SecondsPerIteration:F3} s/iteration on {r.Threads} threads")));
        if (!r.Embedded) AnsiConsole.MarkupLine(Markup.Escape(Embed.EmbedItemsJob.NoEncoderMessage));
        AnsiConsole.MarkupLine($"[green]model version {r.Manifest.Version}[/] written to {Markup.Escape(store)} models/{r.Manifest.Version}/ ({r.Bytes / 1e6:F1} MB) in {r.TotalSeconds:F1} s; publish it with: ./reco jobs publish --version {r.Manifest.Version}");
    }

    private static TableColumn Right(string header) => new TableColumn(header).RightAligned();
    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
