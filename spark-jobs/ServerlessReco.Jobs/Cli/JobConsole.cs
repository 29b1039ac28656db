using System.Globalization;
using ServerlessReco.Embed;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Jobs.Embed;
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

    public static void Render(CurrentModel published) =>
        AnsiConsole.MarkupLine($"[green]published[/] {published.Version} (manifest sha256 {published.ManifestSha256[..12]}...)");

    public static void LiftBelow(double lift, double required) =>
        AnsiConsole.MarkupLine($"[red]ALS lift {lift:F2}x is below the required {required:F2}x: do not publish.[/]");

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
