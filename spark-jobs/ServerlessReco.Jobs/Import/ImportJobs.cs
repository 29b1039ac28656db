using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;
namespace ServerlessReco.Jobs.Import;

/// <param name="RejectedRowsPath">Where the rejected rows and their reasons went, in the dead-letter container; null when none were.</param>
public sealed record ImportResult(ImportReport Report, string Store, string? RejectedRowsPath);

public static class ImportJobs
{
    /// <summary>The copy of Online Retail shipped with the jobs (CC BY 4.0, attribution in its README).</summary>
    public static string BundledOnlineRetail => Path.Combine(AppContext.BaseDirectory, "data", "online-retail", "online_retail.csv.gz");

    public static async Task<ImportResult> OnlineRetailAsync(DataStore store, string? input, IJobProgress progress, CancellationToken ct)
    {
        var path = input ?? BundledOnlineRetail;
        if (!File.Exists(path)) throw new FileNotFoundException($"Online Retail file not found: {path}. Pass --input PATH (CSV or .csv.gz).");
        var parser = new OnlineRetailParser();
        await ReadLinesAsync(path, parser.AddLine, progress, ct).ConfigureAwait(false);

        var events = parser.Events(Pseudonymizer.FromEnvironment());
        var items = parser.Items(DateTimeOffset.UtcNow);
        return await WriteAsync(store, events, items, parser.Report, "online-retail", progress, ct).ConfigureAwait(false);
    }

    public static async Task<ImportResult> CsvAsync(DataStore store, CsvImportOptions options, IJobProgress progress, CancellationToken ct)
    {
        if (!File.Exists(options.Input)) throw new FileNotFoundException($"Input file not found: {options.Input}.");
        var parser = new GenericCsvParser(options, Pseudonymizer.FromEnvironment());
        await ReadLinesAsync(options.Input, parser.AddLine, progress, ct).ConfigureAwait(false);
        return await WriteAsync(store, parser.Events, parser.Items(DateTimeOffset.UtcNow), parser.Report, "csv", progress, ct).ConfigureAwait(false);
    }

    /// <summary>Every line of a CSV or .csv.gz file with its 1-based number, with progress over the file's bytes.</summary>
    internal static Task ReadLinesAsync(string path, Action<long, string> addLine, IJobProgress progress, CancellationToken ct) =>
        progress.RunAsync("reading " + Path.GetFileName(path), async advance =>
        {
            await using var file = File.OpenRead(path);
            Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            long line = 0;
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } text)
            {
                addLine(++line, text);
                if (line % 20_000 == 0) advance(file.Position, file.Length);
            }
            advance(file.Length, file.Length);
        });

    private static async Task<ImportResult> WriteAsync(
        DataStore store, List<InteractionEvent> events, List<CatalogItem> items, ImportReport report, string source, IJobProgress progress, CancellationToken ct)
    {
        var byDay = events.GroupBy(e => e.Timestamp.UtcDateTime.Date).ToList();
        await progress.RunAsync(string.Create(CultureInfo.InvariantCulture, $"writing {events.Count:N0} events to the event log"), async advance =>
        {
            int done = 0;
            await Parallel.ForEachAsync(byDay, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (day, token) =>
            {
                await store.EventLog.AppendAsync(day.ToList(), token).ConfigureAwait(false);
                advance(Interlocked.Increment(ref done), byDay.Count);
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await store.Catalog.UpsertAsync(items, ct).ConfigureAwait(false);
        string? rejectedPath = null;
        if (report.Rejected.Count > 0)
        {
            var lines = string.Join('\n', report.Rejected.Select(r => JsonSerializer.Serialize(r, JobsJsonContext.Default.RejectedRow)));
            rejectedPath = $"import/{source}/{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}.jsonl";
            await store.Blobs.PutAsync(Containers.DeadLetter, rejectedPath, BinaryData.FromString(lines + "\n"), overwrite: true, ct).ConfigureAwait(false);
        }
        return new ImportResult(report, store.Description, rejectedPath);
    }
}
