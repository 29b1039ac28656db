using System.Globalization;
using System.Text.Json;
using ServerlessReco.Embed;
using ServerlessReco.Feedback;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Jobs.Embed;
using ServerlessReco.Jobs.Evaluate;
using ServerlessReco.Jobs.Feedback;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Jobs.Prune;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Train;
using Spectre.Console;

namespace ServerlessReco.Jobs.Cli;

/// <summary>What the jobs' command line shows: progress while a job runs and its result once it returns.</summary>
public static class JobConsole
{
    public const string NoEncoderMessage = "no encoder configured: set --model or RECO_ENCODER_DIR; the rest of the pipeline runs without embeddings";

    /// <summary>Progress bars on a terminal; one line per step when output is piped (CI logs, scripts).</summary>
    public static IJobProgress Progress { get; } = new ConsoleProgress();

    public static void Render(ImportResult result)
    {
        var r = result.Report;
        if (result.RejectedRowsPath is { } rejected)
            AnsiConsole.MarkupLine($"[yellow]{r.Rejected.Count:N0} rejected rows with reasons:[/] {Markup.Escape(result.Store)} {Containers.DeadLetter}/{Markup.Escape(rejected)}");
        var table = new Table().Title("import summary").AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        void Row(string name, long value) => table.AddRow(Markup.Escape(name), value.ToString("N0", CultureInfo.InvariantCulture));
        Row("rows read", r.Rows);
        Row("events written", r.Events);
        Row("users", r.Users);
        Row("items", r.Items);
        Row("anonymous rows (popularity only)", r.AnonymousRows);
        Row("cancellation rows", r.CancellationRows);
        Row("purchases removed by cancellation", r.PurchasesRemovedByCancellation);
        Row("purchases reduced by cancellation", r.PurchasesReducedByCancellation);
        Row("cancellations without earlier purchase", r.UnmatchedCancellations);
        Row("non-product rows (postage, fees)", r.NonProductRows);
        Row("negative adjustments (not cancellations)", r.AdjustmentRows);
        Row("malformed rows", r.Malformed);
        foreach (var (reason, n) in r.MalformedByReason.OrderByDescending(x => x.Value)) Row("  malformed: " + reason, n);
        foreach (var (country, n) in r.UnknownCountries) Row($"  unknown country '{country}' (market ZZ)", n);
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"markets: {Markup.Escape(string.Join(", ", r.RowsByMarket.OrderByDescending(x => x.Value).Select(x => $"{x.Key} {x.Value:N0}")))}");
        AnsiConsole.MarkupLine($"store: {Markup.Escape(result.Store)}");
    }

    public static void Render(SnapshotJob.Result r)
    {
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"catalogue snapshot: {r.Items:N0} items, {r.Bytes / 1024.0 / 1024.0:F1} MiB, table read in {r.TableRead.TotalSeconds:F1} s, decoded in {r.Decoded.TotalMilliseconds:F0} ms, feed position {r.FeedPosition:O} -> {r.Location}"));
        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"change feed: {r.FeedRowsDeleted:N0} rows older than {r.PrunedBefore:O} deleted ({r.Retention.TotalHours:F0} h retention)"));
    }

    public static void Render(PruneJob.Report r, int deadLetterDays, int eventsDays)
    {
        AnsiConsole.MarkupLine($"dead letters older than {deadLetterDays} days: [green]{r.DeadLettersDeleted:N0} deleted[/]{(r.DeadLettersUndated > 0 ? $", {r.DeadLettersUndated:N0} without a date in their path kept" : "")}");
        AnsiConsole.MarkupLine($"events-table rows older than {eventsDays} days: [green]{r.EventRowsDeleted:N0} deleted[/]");
        AnsiConsole.MarkupLine($"shopper activity feed rows older than {ServerlessReco.EventLog.ShopperActivityFeed.Retention.TotalHours:F0} h: [green]{r.ActivityRowsDeleted:N0} deleted[/]");
    }

    /// <param name="result">Null when no encoder was configured.</param>
    public static void Render(EmbedItemsJob.Result? result)
    {
        if (result is null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(NoEncoderMessage));
            return;
        }
        Render(result.Embedding);
        AnsiConsole.MarkupLine($"[green]model version {result.Written.Version}[/] (version {result.BaseVersion} plus item embeddings) written to {Markup.Escape(result.Store)}; publish it with: ./reco jobs publish --version {result.Written.Version}");
    }

    public static void Render(Search.BuildSearchIndexJob.Result r)
    {
        var m = r.Written;
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"search index {m.Version}: {m.Items:N0} items ({r.ItemsWithText:N0} with a title), fields source + {string.Join(", ", m.LanguageFields)}, {m.Files.Values.Sum(f => f.Bytes) / 1048576.0:F1} MiB, in {r.Seconds:F1} s")));
        AnsiConsole.MarkupLine(Markup.Escape(m.Encoder is { } e
            ? $"semantic retrieval: item embeddings by {e}; serving embeds queries with the same encoder (RECO_ENCODER_DIR)"
            : "no encoder (--model or RECO_ENCODER_DIR): lexical search only"));
        AnsiConsole.MarkupLine($"[green]published[/]: {Markup.Escape(r.Store)} catalog/{ServerlessReco.Search.SearchIndexStore.CurrentPath} -> {m.Version}");
    }

    public static void Render(InstallEncoderJob.Result r)
    {
        var s = r.Source;
        foreach (var f in s.Files)
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{f.FileName}: {f.Bytes:N0} bytes, sha256 {f.Sha256}")));
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{(r.AlreadyInstalled ? "already installed" : "installed")} in {r.Seconds:F1} s: {r.Directory} ({s.Package} {s.PackageVersion}, {s.PackageLicense}; model {s.ModelLicense}; {s.Languages})")));
    }

    public static void Render(ModelEmbeddingReport r)
    {
        double seconds = Math.Max(r.Seconds, 1e-9);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"embedded {r.ItemsWithText:N0} items ({r.DistinctTitles:N0} distinct titles) in {r.Seconds:F1} s: {r.ItemsWithText / seconds:F1} items/s, {r.DistinctTitles / seconds:F1} titles/s; {r.Items - r.ItemsWithText:N0} items without a title keep zero embeddings"));
        if (r.ColdStart is { } c)
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"cold-start map: lambda {c.Lambda}, on {c.ValidationItems:N0} held-out warm items relative squared error {c.ValidationRelativeError:F3}, mean cosine {c.ValidationCosine:F3}; factors predicted for {c.FilledItems:N0} items without interactions"));
        else
            AnsiConsole.MarkupLine($"[yellow]cold-start map skipped:[/] {r.WarmItemsWithText} warm items have a title, at least {ContentToFactors.MinimumWarmItems} are needed");
    }

    public static void Render(CurrentModel published)
    {
        AnsiConsole.MarkupLine($"[green]published[/] {published.Version} (manifest sha256 {published.ManifestSha256[..12]}...)");
        if (published.Experiment is { } e)
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]experiment[/] {Markup.Escape(e.Id)}: {e.Share:P1} of shoppers get {Markup.Escape(e.Version)} (manifest sha256 {e.ManifestSha256[..12]}...), the others {published.Version}"));
        else
            AnsiConsole.MarkupLine("no experiment running: every shopper gets this version");
    }

    public static void Render(ReplayJob.Result r) => AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
        $"[yellow]SIMULATED[/] replay of purchases since {r.Run.Month}: {r.Run.Shoppers:N0} shoppers, {r.Run.Requests:N0} requests, {r.ShownAndBought:N0} shown items they bought, {r.Run.EventsSent:N0} events sent ({r.Skipped:N0} customers without a known market skipped)"));

    public static void Render(OnlineReport report, string storedAt)
    {
        if (report.Simulated) AnsiConsole.MarkupLine("[yellow]SIMULATED:[/] these impressions come from a replay of Online Retail, not from shoppers");
        var unattributed = report.Unattributed.Count == 0 ? ""
            : "; not attributed: " + string.Join(", ", report.Unattributed.Select(u => string.Create(CultureInfo.InvariantCulture, $"{u.Value:N0} {JsonNamingPolicy.KebabCaseLower.ConvertName(u.Key.ToString())}")));
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Impressions:N0} impressions; {report.EventsWithRecommendationId:N0} events carried a recommendation id, {report.AttributedEvents:N0} attributed within {report.WindowHours:0.#} h{unattributed}"));
        var table = new Table().AddColumns("experiment", "arm", "strategy", "market", "impressions", "CTR [[95% CI]]", "add-to-cart", "purchase", "revenue");
        foreach (var r in report.Rows.Where(r => r.Market == OnlineMetrics.All || report.Rows.Count <= 40))
            table.AddRow(Markup.Escape(r.Experiment ?? "-"), r.Arm.ToString().ToLowerInvariant(), Markup.Escape(r.Strategy), r.Market, r.Impressions.ToString("N0", CultureInfo.InvariantCulture),
                Markup.Escape(Rate(r.ClickThrough)), Markup.Escape(Rate(r.AddToCart)), Markup.Escape(Rate(r.Purchase)), r.Revenue.ToString("N2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        foreach (var d in report.Differences.Where(d => d.Market == OnlineMetrics.All))
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{Markup.Escape(d.Experiment)} {Markup.Escape(d.Strategy)} {d.Metric}: challenger {d.Challenger:P2} vs control {d.Control:P2}, difference {d.Difference:+0.00%;-0.00%}, z {d.Z:F2}, p {d.PValue:F3}"));
        AnsiConsole.MarkupLine($"report stored at {Markup.Escape(storedAt)} (all markets, also in reports/{OnlineReportStore.LatestPath})");

        static string Rate(Rate r) => string.Create(CultureInfo.InvariantCulture, $"{r.Value:P2} [{r.Low:P1}, {r.High:P1}]");
    }

    public static void LiftBelow(double lift, double required) =>
        AnsiConsole.MarkupLine($"[red]served pipeline lift {lift:F2}x is below the required {required:F2}x: do not publish.[/]");

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
        if (report.Content is { } content) Render(content, report.K);
        if (report.NextOrder is { } nextOrder) Render(nextOrder, report.K);
    }

    public static void Render(NextOrderReport r, int k)
    {
        var table = new Table().Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"next order: {r.Orders:N0} test-period orders of {r.Shoppers:N0} shoppers ({r.NewShoppers:N0} new), each ranked with everything before it; relevant: its items not bought before ({r.Seconds:F1} s)")))
            .AddColumn("method").AddColumn(Right($"NDCG@{k}")).AddColumn(Right($"Recall@{k}")).AddColumn(Right("hit rate"))
            .AddColumn(Right("cross-category share of hits")).AddColumn(Right("orders scored")).AddColumn(Right("hits"));
        foreach (var m in r.Results)
            table.AddRow(Markup.Escape(m.Method), F(m.Ndcg), F(m.Recall), F(m.HitRate), F(m.CrossCategoryShare), m.Orders.ToString("N0", CultureInfo.InvariantCulture), m.Hits.ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
    }

    public static void Render(ContentQualityReport c, int k)
    {
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"content quality with encoder {c.Encoder} (embedding {c.EmbedSeconds:F1} s)")));
        var cold = new Table().Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"item cold start: {c.NewItems:N0} items first sold in the test period, ranked among themselves for {c.ColdStartShoppers:N0} training shoppers ({c.ColdStartPairs:N0} pairs)")))
            .AddColumn("method").AddColumn(Right($"Recall@{k}")).AddColumn(Right($"NDCG@{k}")).AddColumn(Right("hit rate"));
        foreach (var r in c.ColdStart) cold.AddRow(Markup.Escape(r.Method), F(r.Metrics.Recall), F(r.Metrics.Ndcg), F(r.Metrics.HitRate));
        AnsiConsole.Write(cold);
        var similar = new Table().Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"similar items: {c.SimilarAnchors:N0} items, hit when the top {k} holds an item their test-period shoppers also bought")))
            .AddColumn("method").AddColumn(Right($"hit rate@{k}")).AddColumn(Right($"Recall@{k}")).AddColumn(Right($"NDCG@{k}"));
        foreach (var r in c.Similar) similar.AddRow(Markup.Escape(r.Method), F(r.Metrics.HitRate), F(r.Metrics.Recall), F(r.Metrics.Ndcg));
        AnsiConsole.Write(similar);
    }

    public static void RenderParameters(TrainingParameters parameters) =>
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"parameters: factors {parameters.Als.Factors}, iterations {parameters.Als.Iterations}, alpha {parameters.Als.Alpha}, regularization {parameters.Als.Regularization}, half-life {parameters.Interactions.HalfLifeDays} days ({parameters.ChosenBy})")));

    public static void Render(TrainResult r)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"events {r.Events:N0} (distinct ids), users {r.Users:N0}, items {r.Items:N0}, non-zeros {r.NonZeros:N0}, read in {r.ReadSeconds:F1} s"));
        RenderParameters(r.Manifest.Training);
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"ALS: {r.SecondsPerIteration:F3} s/iteration on {r.Threads} threads")));
        foreach (var epoch in r.SequenceEpochs ?? []) AnsiConsole.MarkupLine(Markup.Escape(Sequence.SequenceModel.Describe(epoch)));
        if (r.Embedding is { } embedding) Render(embedding);
        else AnsiConsole.MarkupLine(Markup.Escape(NoEncoderMessage));
        AnsiConsole.MarkupLine($"[green]model version {r.Manifest.Version}[/] written to {Markup.Escape(r.Store)} models/{r.Manifest.Version}/ ({r.Manifest.Files.Values.Sum(f => f.Bytes) / 1e6:F1} MB) in {r.TotalSeconds:F1} s; publish it with: ./reco jobs publish --version {r.Manifest.Version}");
    }

    private static TableColumn Right(string header) => new TableColumn(header).RightAligned();
    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    private sealed class ConsoleProgress : IJobProgress
    {
        public async Task RunAsync(string description, Func<Action<double, double>, Task> step)
        {
            if (!AnsiConsole.Profile.Capabilities.Interactive)
            {
                AnsiConsole.MarkupLine(Markup.Escape(description) + " ...");
                await step((_, _) => { }).ConfigureAwait(false);
                return;
            }
            await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(description));
                    await step((done, total) =>
                    {
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                    }).ConfigureAwait(false);
                    task.Value = task.MaxValue;
                }).ConfigureAwait(false);
        }
    }
}
