using System.CommandLine;
using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Bench;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Jobs.Embed;
using ServerlessReco.Jobs.Evaluate;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Jobs.Prune;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Storage;
using Spectre.Console;

var store = new Option<string>("--store") { Description = "azurite (default; RECO_STORAGE_CONNECTION_STRING), dir:PATH, or a storage connection string", DefaultValueFactory = _ => "azurite" };

// Piped output (CI, scripts) would otherwise wrap tables at 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("ServerlessReco batch jobs: import -> train -> evaluate -> publish");
root.Options.Add(store);

// import-online-retail
var retailInput = new Option<string?>("--input") { Description = "Online Retail CSV or .csv.gz (default: the bundled copy)" };
var importRetail = new Command("import-online-retail", "Import the Online Retail data set (UCI 352, CC BY 4.0) into the event log and catalogue") { retailInput };
importRetail.SetAction(async (parse, ct) =>
{
    await ImportJobs.OnlineRetailAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(retailInput), ct);
    return 0;
});
root.Subcommands.Add(importRetail);

// import-csv
var csvInput = new Option<string>("--input") { Description = "CSV (or .csv.gz) with a header row", Required = true };
var csvUser = new Option<string>("--user") { Description = "user id column", Required = true };
var csvItem = new Option<string>("--item") { Description = "item id column", Required = true };
var csvValue = new Option<string?>("--value") { Description = "rating or value column (events become ratings unless --type is given)" };
var csvTime = new Option<string?>("--time") { Description = "timestamp column (ISO 8601 or unix seconds/milliseconds)" };
var csvMarket = new Option<string?>("--market") { Description = "market column (ISO country code or English country name)" };
var csvType = new Option<string?>("--type") { Description = "event type column (view, click, add_to_cart, purchase, rating)" };
var importCsv = new Command("import-csv", "Import a team's own interaction CSV") { csvInput, csvUser, csvItem, csvValue, csvTime, csvMarket, csvType };
importCsv.SetAction(async (parse, ct) =>
{
    var options = new CsvImportOptions(parse.GetValue(csvInput)!, parse.GetValue(csvUser)!, parse.GetValue(csvItem)!, parse.GetValue(csvValue),
        parse.GetValue(csvTime), parse.GetValue(csvMarket), parse.GetValue(csvType));
    await ImportJobs.CsvAsync(DataStore.Open(parse.GetValue(store)), options, ct);
    return 0;
});
root.Subcommands.Add(importCsv);

// Training options shared by train and evaluate.
var defaults = new TrainSettings();
var factors = new Option<int>("--factors") { DefaultValueFactory = _ => defaults.Factors, Description = "latent factors" };
var iterations = new Option<int>("--iterations") { DefaultValueFactory = _ => defaults.Iterations };
var regularization = new Option<float>("--regularization") { DefaultValueFactory = _ => defaults.Regularization };
var alpha = new Option<float>("--alpha") { DefaultValueFactory = _ => defaults.Alpha, Description = "confidence slope: c = 1 + alpha * r" };
var halfLife = new Option<double>("--half-life") { DefaultValueFactory = _ => defaults.HalfLifeDays, Description = "days after which an event counts half (0: no decay)" };
var until = new Option<string?>("--until") { Description = "only events up to this date/time (ISO 8601)" };
var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
Option[] trainOptions = [factors, iterations, regularization, alpha, halfLife, until, threads, seed];
TrainSettings Settings(ParseResult parse) => new()
{
    Factors = parse.GetValue(factors),
    Iterations = parse.GetValue(iterations),
    Regularization = parse.GetValue(regularization),
    Alpha = parse.GetValue(alpha),
    HalfLifeDays = parse.GetValue(halfLife),
    Until = parse.GetValue(until) is { } u ? DateTimeOffset.Parse(u, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null,
    Threads = parse.GetValue(threads),
    Seed = parse.GetValue(seed),
};

// Encoder options shared by train and embed-items.
Option<string?> EncoderModelOption() => new("--model") { Description = $"sentence encoder folder (model.onnx + tokenizer file + optional encoder.json; default: ${EmbedItemsJob.EncoderDirectoryVariable})" };
Option<int> EmbedBatchSizeOption() => new("--batch-size") { DefaultValueFactory = _ => 32, Description = "texts per encoder call" };

// train
var trainModel = EncoderModelOption();
var trainBatchSize = EmbedBatchSizeOption();
var printVersion = new Option<bool>("--print-version") { Description = "print only the new version on stdout (for scripts)" };
var train = new Command("train", "Train implicit ALS and popularity from the event log (plus item embeddings and cold-start factors with --model); writes a new, unpublished model version") { printVersion, trainModel, trainBatchSize };
foreach (var o in trainOptions) train.Options.Add(o);
train.SetAction(async (parse, ct) =>
{
    var quiet = parse.GetValue(printVersion);
    if (quiet) AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
    var manifest = await TrainJob.RunAsync(DataStore.Open(parse.GetValue(store)), Settings(parse), ct,
        EmbedItemsJob.EncoderDirectory(parse.GetValue(trainModel)), parse.GetValue(trainBatchSize));
    if (quiet) Console.Out.WriteLine(manifest.Version);
    return 0;
});
root.Subcommands.Add(train);

// evaluate
var split = new Option<string>("--split") { Description = "time:YYYY-MM-DD or stratified:RATIO[:SEED]", Required = true };
var k = new Option<int>("--k") { DefaultValueFactory = _ => 10 };
var json = new Option<string?>("--json") { Description = "write the metrics as JSON here" };
var tune = new Option<bool>("--tune") { Description = "choose factors/alpha/regularization on a validation split inside the training part first" };
var minLift = new Option<double?>("--min-lift") { Description = "exit with 3 unless ALS NDCG@k is at least this multiple of market popularity's (a gate for scheduled runs)" };
var evaluate = new Command("evaluate", "Full-ranking evaluation of ALS against popularity (global, market) and item-kNN") { split, k, json, tune, minLift };
foreach (var o in trainOptions) evaluate.Options.Add(o);
evaluate.SetAction(async (parse, ct) =>
{
    var report = await EvaluateJob.RunAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(split)!, parse.GetValue(k), Settings(parse), parse.GetValue(tune), parse.GetValue(json), ct);
    if (parse.GetValue(minLift) is { } required && report.AlsLift < required)
    {
        AnsiConsole.MarkupLine($"[red]ALS lift {report.AlsLift:F2}x is below the required {required:F2}x: do not publish.[/]");
        return 3;
    }
    return 0;
});
root.Subcommands.Add(evaluate);

// publish
var version = new Option<string>("--version") { Description = "model version to serve (see models/ in the store)", Required = true };
var publish = new Command("publish", "Verify a model version (every file's sha256) and point models/current.json at it") { version };
publish.SetAction(async (parse, ct) =>
{
    var current = await DataStore.Open(parse.GetValue(store)).Models.PublishAsync(parse.GetValue(version)!, ct);
    AnsiConsole.MarkupLine($"[green]published[/] {current.Version} (manifest sha256 {current.ManifestSha256[..12]}...)");
    return 0;
});
root.Subcommands.Add(publish);

// snapshot-catalog
var retentionHours = new Option<double>("--retention-hours")
{
    DefaultValueFactory = _ => CatalogChangeFeed.DefaultRetention.TotalHours,
    Description = "delete change-feed rows older than this; serving's RECO_CATALOG_FEED_RETENTION_HOURS must match",
};
var snapshotCatalog = new Command("snapshot-catalog", "Write the catalogue snapshot serving starts from (catalog/snapshot.bin) and prune the change feed") { retentionHours };
snapshotCatalog.SetAction(async (parse, ct) =>
{
    await SnapshotJob.RunAsync(DataStore.Open(parse.GetValue(store)), TimeSpan.FromHours(parse.GetValue(retentionHours)), Console.Out, ct);
    return 0;
});
root.Subcommands.Add(snapshotCatalog);

// embed-items
var embedModel = EncoderModelOption();
var embedBatchSize = EmbedBatchSizeOption();
var embedVersion = new Option<string?>("--version") { Description = "model version to add embeddings to (default: the newest in the store)" };
var embedItems = new Command("embed-items", "Embed every item's titles and predict factors for items without interactions; writes a new model version") { embedModel, embedVersion, embedBatchSize };
embedItems.SetAction(async (parse, ct) =>
{
    await EmbedItemsJob.RunAsync(DataStore.Open(parse.GetValue(store)), EmbedItemsJob.EncoderDirectory(parse.GetValue(embedModel)),
        parse.GetValue(embedVersion), parse.GetValue(embedBatchSize), ct);
    return 0;
});
root.Subcommands.Add(embedItems);

// prune
var deadLetterDays = new Option<int>("--dead-letter-days") { DefaultValueFactory = _ => 30, Description = "delete dead letters received more than this many days ago (they hold raw ids)" };
var eventsDays = new Option<int>("--events-days")
{
    // Ingestion refuses events older than RECO_INGEST_MAX_EVENT_AGE_DAYS (400): keeping rows that long keeps dedup exact.
    DefaultValueFactory = _ => 400,
    Description = "delete events-table rows of events older than this many days; a redelivery of such an event is accepted again",
};
var prune = new Command("prune", "Retention: delete old dead letters and old events-table rows") { deadLetterDays, eventsDays };
prune.SetAction(async (parse, ct) =>
{
    await PruneJob.RunAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(deadLetterDays), parse.GetValue(eventsDays), TimeProvider.System, ct);
    return 0;
});
root.Subcommands.Add(prune);

// bench
var bench = new Command("bench", "Benchmarks that print figures to record in benchmarks/");
var benchUsers = new Option<int>("--users") { DefaultValueFactory = _ => 138_493 };
var benchItems = new Option<int>("--items") { DefaultValueFactory = _ => 26_744 };
var benchNnz = new Option<long>("--nnz") { DefaultValueFactory = _ => 10_000_000 };
var benchIterations = new Option<int>("--iterations") { DefaultValueFactory = _ => 5 };
var benchAls = new Command("als", "Seconds per ALS iteration on a MovieLens-20M-shaped matrix") { benchUsers, benchItems, benchNnz, factors, benchIterations, threads };
benchAls.SetAction(parse => AlsBenchmark.Run(parse.GetValue(benchUsers), parse.GetValue(benchItems), parse.GetValue(benchNnz), parse.GetValue(factors),
    parse.GetValue(benchIterations), parse.GetValue(threads), Console.Out));
bench.Subcommands.Add(benchAls);

var scenario = new Option<string>("--scenario") { DefaultValueFactory = _ => "online-retail", Description = "online-retail (the real model) or synthetic (100,000 items x 64 factors)" };
var handlerCommand = new Option<string>("--handler") { DefaultValueFactory = _ => DefaultHandler(), Description = "reco-handler.dll (JIT) or the Native AOT executable" };
var concurrency = new Option<string>("--concurrency") { DefaultValueFactory = _ => "1,4,16", Description = "comma-separated concurrent client counts, one load run each" };
var duration = new Option<int>("--seconds") { DefaultValueFactory = _ => 10 };
var coldStarts = new Option<int>("--cold-starts") { DefaultValueFactory = _ => 5 };
var benchServe = new Command("serve", "Latency and throughput of /api/recommendations, and cold start, against the handler process and azurite")
    { scenario, handlerCommand, concurrency, duration, coldStarts };
benchServe.SetAction((parse, ct) => ServeBenchmark.RunAsync(StorageConnection(), new ServeBenchmark.Options(parse.GetValue(scenario)!, parse.GetValue(handlerCommand)!,
    parse.GetValue(concurrency)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(), TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(3), parse.GetValue(coldStarts), 20), Console.Out, ct));
bench.Subcommands.Add(benchServe);

var ingestOnly = new Option<string[]>("--only") { AllowMultipleArgumentsPerToken = true, Description = "run only the scenarios named, e.g. http-1-64 eventhub-500-8 (path-batch-clients)" };
var benchIngest = new Command("ingest", "Events/s accepted end to end (HTTP batches of 1, 100, 500 and Event Hubs payloads) into azurite") { handlerCommand, ingestOnly };
benchIngest.SetAction((parse, ct) => IngestBenchmark.RunAsync(StorageConnection(), parse.GetValue(handlerCommand)!, parse.GetValue(ingestOnly) ?? [], Console.Out, ct));
bench.Subcommands.Add(benchIngest);

var benchFixtures = new Option<string>("--fixtures") { DefaultValueFactory = _ => Path.Combine("tests", "fixtures"), Description = "folder with encoders/ and catalog-multilingual.tsv" };
var benchModels = new Option<string[]>("--model") { DefaultValueFactory = _ => [Path.Combine(".reco", "encoders", "minilm-l12-random")], AllowMultipleArgumentsPerToken = true, Description = "further encoder folders (missing ones are skipped)" };
var benchTexts = new Option<int>("--texts") { DefaultValueFactory = _ => 256, Description = "titles embedded per measurement" };
var benchTranslations = new Option<int>("--translation-items") { DefaultValueFactory = _ => 1000, Description = "titles translated through the cache" };
var benchEmbed = new Command("embed", "Embedding items/s per batch size and encoder; translation cache cost per item, miss vs hit") { benchFixtures, benchModels, benchTexts, benchTranslations };
benchEmbed.SetAction(async (parse, ct) =>
{
    var fixtures = parse.GetValue(benchFixtures)!;
    string[] encoders = [Path.Combine(fixtures, "encoders", "bert-wordpiece"), Path.Combine(fixtures, "encoders", "xlmr-sentencepiece"), .. parse.GetValue(benchModels)!];
    return await EmbedBenchmark.RunAsync(DataStore.Open(parse.GetValue(store)), encoders, Path.Combine(fixtures, "catalog-multilingual.tsv"),
        parse.GetValue(benchTexts), parse.GetValue(benchTranslations), Console.Out, ct);
});
bench.Subcommands.Add(benchEmbed);
root.Subcommands.Add(bench);

return await root.Parse(args).InvokeAsync();

static string StorageConnection() => Environment.GetEnvironmentVariable(DataStore.ConnectionStringVariable) is { Length: > 0 } c ? c
    : throw new InvalidOperationException($"{DataStore.ConnectionStringVariable} is not set: run benchmarks with ./reco bench, which starts azurite.");

// The handler built beside the jobs: functions/ServerlessReco.Functions/bin/<config>/net10.0/reco-handler.dll.
static string DefaultHandler()
{
    var jobs = new DirectoryInfo(AppContext.BaseDirectory);
    var config = jobs.Parent!.Name;
    return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "functions", "ServerlessReco.Functions", "bin", config, "net10.0", "reco-handler.dll"));
}
