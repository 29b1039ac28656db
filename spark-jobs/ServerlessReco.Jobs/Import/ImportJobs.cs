using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;
using Spectre.Console;

namespace ServerlessReco.Jobs.Import;

public static class ImportJobs
{
    /// <summary>The copy of Online Retail shipped with the jobs (CC BY 4.0, attribution in its README).</summary>
    public static string BundledOnlineRetail => Path.Combine(AppContext.BaseDirectory, "data", "online-retail", "online_retail.csv.gz");

    public static async Task<ImportReport> OnlineRetailAsync(DataStore store, string? input, CancellationToken ct)
    {
        var path = input ?? BundledOnlineRetail;
        if (!File.Exists(path)) throw new FileNotFoundException($"Online Retail file not found: {path}. Pass --input PATH (CSV or .csv.gz).");
        var parser = new OnlineRetailParser();
        await ReadLinesAsync(path, parser.AddLine, ct).ConfigureAwait(false);

        var events = parser.Events(Pseudonymizer.FromEnvironment());
        var items = parser.Items(DateTimeOffset.UtcNow);
        await WriteAsync(store, events, items, parser.Report, "online-retail", ct).ConfigureAwait(false);
        PrintReport(parser.Report, store);
        return parser.Report;
    }

    public static async Task<ImportReport> CsvAsync(DataStore store, CsvImportOptions options, CancellationToken ct)
    {
        if (!File.Exists(options.Input)) throw new FileNotFoundException($"Input file not found: {options.Input}.");
        var parser = new GenericCsvParser(options, Pseudonymizer.FromEnvironment());
        await ReadLinesAsync(options.Input, parser.AddLine, ct).ConfigureAwait(false);
        await WriteAsync(store, parser.Events, parser.Items(DateTimeOffset.UtcNow), parser.Report, "csv", ct).ConfigureAwait(false);
        PrintReport(parser.Report, store);
        return parser.Report;
    }

    /// <summary>Every line of a CSV or .csv.gz file with its 1-based number, under a progress bar over the file's bytes.</summary>
    private static Task ReadLinesAsync(string path, Action<long, string> addLine, CancellationToken ct) =>
        Progress("reading " + Path.GetFileName(path), new FileInfo(path).Length, async advance =>
        {
            await using var file = File.OpenRead(path);
            Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            long line = 0;
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } text)
            {
                addLine(++line, text);
                if (line % 20_000 == 0) advance(file.Position);
            }
            advance(file.Length);
        });

    private static async Task WriteAsync(DataStore store, List<InteractionEvent> events, List<CatalogItem> items, ImportReport report, string source, CancellationToken ct)
    {
        var byDay = events.GroupBy(e => e.Timestamp.UtcDateTime.Date).ToList();
        await Progress($"writing {events.Count:N0} events to the event log", byDay.Count, async advance =>
        {
            int done = 0;
            await Parallel.ForEachAsync(byDay, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (day, token) =>
            {
                await store.EventLog.AppendAsync(day.ToList(), token).ConfigureAwait(false);
                advance(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await store.Catalog.UpsertAsync(items, ct).ConfigureAwait(false);
        if (report.Rejected.Count > 0)
        {
            var lines = string.Join('\n', report.Rejected.Select(r => JsonSerializer.Serialize(r, JobsJsonContext.Default.RejectedRow)));
            var path = $"import/{source}/{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}.jsonl";
            await store.Blobs.PutAsync(Containers.DeadLetter, path, BinaryData.FromString(lines + "\n"), overwrite: true, ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine($"[yellow]{report.Rejected.Count:N0} rejected rows with reasons:[/] {Markup.Escape(store.Description)} {Containers.DeadLetter}/{Markup.Escape(path)}");
        }
    }

    private static void PrintReport(ImportReport r, DataStore store)
    {
        var table = new Table().Title("import summary").AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        void Row(string name, long value) => table.AddRow(name, value.ToString("N0", CultureInfo.InvariantCulture));
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
        AnsiConsole.MarkupLine($"markets: {string.Join(", ", r.RowsByMarket.OrderByDescending(x => x.Value).Select(x => $"{x.Key} {x.Value:N0}"))}");
        AnsiConsole.MarkupLine($"store: {Markup.Escape(store.Description)}");
    }

    internal static async Task Progress(string description, double total, Func<Action<double>, Task> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.MarkupLine(Markup.Escape(description) + " ...");
            await work(_ => { }).ConfigureAwait(false);
            return;
        }
        await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
                await work(v => task.Value = v).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
    }
}
