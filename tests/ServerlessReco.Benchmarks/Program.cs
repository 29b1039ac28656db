using System.CommandLine;
using System.Globalization;
using ServerlessReco.Benchmarks;
using ServerlessReco.Storage;

var root = new RootCommand("ServerlessReco benchmarks: figures to record in tests/benchmarks/ (run them with ./reco bench)");

var users = new Option<int>("--users") { DefaultValueFactory = _ => 138_493 };
var items = new Option<int>("--items") { DefaultValueFactory = _ => 26_744 };
var nonZeros = new Option<long>("--nnz") { DefaultValueFactory = _ => 10_000_000 };
var factors = new Option<int>("--factors") { DefaultValueFactory = _ => new ServerlessReco.Train.AlsOptions().Factors, Description = "latent factors" };
var iterations = new Option<int>("--iterations") { DefaultValueFactory = _ => 5 };
var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
var als = new Command("als", "Seconds per ALS iteration on a MovieLens-20M-shaped matrix") { users, items, nonZeros, factors, iterations, threads };
als.SetAction(parse => AlsBenchmark.Run(parse.GetValue(users), parse.GetValue(items), parse.GetValue(nonZeros), parse.GetValue(factors),
    parse.GetValue(iterations), parse.GetValue(threads), Console.Out));
root.Subcommands.Add(als);

var scenario = new Option<string>("--scenario") { DefaultValueFactory = _ => "online-retail", Description = "online-retail (the real model) or synthetic (100,000 items x 64 factors)" };
var handler = new Option<string>("--handler") { DefaultValueFactory = _ => DefaultHandler(), Description = "reco-handler.dll (JIT) or the Native AOT executable" };
var concurrency = new Option<string>("--concurrency") { DefaultValueFactory = _ => "1,4,16", Description = "comma-separated concurrent client counts, one load run each" };
var duration = new Option<int>("--seconds") { DefaultValueFactory = _ => 10 };
var coldStarts = new Option<int>("--cold-starts") { DefaultValueFactory = _ => 5 };
var storageLatency = new Option<double>("--storage-latency-ms") { DefaultValueFactory = _ => 0, Description = "put a proxy in front of azurite that adds this much to every storage round trip of the handler (Azure Storage seen from a function app: about 8)" };
var strategy = new Option<string?>("--strategy") { Description = "strategy query parameter of every request: als, sequence or als+sequence (a model with a sequence network, under its own prefix); default: none sent" };
var feedbackRounds = new Option<int>("--feedback-rounds") { DefaultValueFactory = _ => 0, Description = "instead: compare impressions + telemetry off and on, alternating handlers for this many rounds" };
var serve = new Command("serve", "Latency and throughput of /api/recommendations, and cold start, against the handler process and azurite")
    { scenario, handler, concurrency, duration, coldStarts, storageLatency, strategy, feedbackRounds };
serve.SetAction((parse, ct) => ServeBenchmark.RunAsync(StorageConnection(), new ServeBenchmark.Options(parse.GetValue(scenario)!, parse.GetValue(handler)!,
    parse.GetValue(concurrency)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(), TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(3), parse.GetValue(coldStarts), 20)
    { StorageLatency = TimeSpan.FromMilliseconds(parse.GetValue(storageLatency)), Strategy = ServeStrategy(parse.GetValue(strategy)), FeedbackRounds = parse.GetValue(feedbackRounds) }, Console.Out, ct));
root.Subcommands.Add(serve);

var minutes = new Option<double>("--minutes") { DefaultValueFactory = _ => 10, Description = "how long the mixed load runs" };
var outage = new Option<int>("--outage-seconds") { DefaultValueFactory = _ => 20, Description = "length of each of the two storage outages" };
var soak = new Command("soak", "Mixed load (recommendations, event batches, catalogue patches) with two storage outages; events acknowledged vs stored, handler RSS")
    { handler, minutes, outage };
soak.SetAction((parse, ct) => SoakBenchmark.RunAsync(StorageConnection(),
    new SoakBenchmark.Options(parse.GetValue(handler)!, TimeSpan.FromMinutes(parse.GetValue(minutes)), TimeSpan.FromSeconds(parse.GetValue(outage))), Console.Out, ct));
root.Subcommands.Add(soak);

var only = new Option<string[]>("--only") { AllowMultipleArgumentsPerToken = true, Description = "run only the scenarios named, e.g. http-1-64 eventhub-500-8 (path-batch-clients)" };
var ingest = new Command("ingest", "Events/s accepted end to end (HTTP batches of 1, 100, 500 and Event Hubs payloads) into azurite") { handler, only };
ingest.SetAction((parse, ct) => IngestBenchmark.RunAsync(StorageConnection(), parse.GetValue(handler)!, parse.GetValue(only) ?? [], Console.Out, ct));
root.Subcommands.Add(ingest);

var fixtures = new Option<string>("--fixtures") { DefaultValueFactory = _ => Path.Combine("tests", "fixtures"), Description = "folder with encoders/ and catalog-multilingual.tsv" };
var models = new Option<string[]>("--model") { DefaultValueFactory = _ => [Path.Combine(".reco", "encoders", "minilm-l12-random")], AllowMultipleArgumentsPerToken = true, Description = "further encoder folders (missing ones are skipped)" };
var texts = new Option<int>("--texts") { DefaultValueFactory = _ => 256, Description = "titles embedded per measurement" };
var translations = new Option<int>("--translation-items") { DefaultValueFactory = _ => 1000, Description = "titles translated through the cache" };
var embed = new Command("embed", "Embedding items/s per batch size and encoder; translation cache cost per item, miss vs hit") { fixtures, models, texts, translations };
embed.SetAction(async (parse, ct) =>
{
    var folder = parse.GetValue(fixtures)!;
    string[] encoders = [Path.Combine(folder, "encoders", "bert-wordpiece"), Path.Combine(folder, "encoders", "xlmr-sentencepiece"), .. parse.GetValue(models)!];
    return await EmbedBenchmark.RunAsync(DataStore.FromConnectionString(StorageConnection(), prefix: ""), encoders, Path.Combine(folder, "catalog-multilingual.tsv"),
        parse.GetValue(texts), parse.GetValue(translations), Console.Out, ct);
});
root.Subcommands.Add(embed);

var url = new Option<string>("--url") { Required = true, Description = "the running handler, e.g. http://127.0.0.1:7071" };
var outputFolder = new Option<string>("--out") { DefaultValueFactory = _ => Path.Combine("docs", "screenshots"), Description = "where preview.png and console.png go" };
var screenshots = new Command("screenshots", "Not a benchmark: the README's pictures of the storefront preview and the operator console, from a running handler (./reco screenshots)") { url, outputFolder };
screenshots.SetAction((parse, ct) => Screenshots.RunAsync(new Uri(parse.GetValue(url)!), parse.GetValue(outputFolder)!, Console.Out, ct));
root.Subcommands.Add(screenshots);

var searchModel = new Option<string>("--model") { DefaultValueFactory = _ => Path.Combine(".reco", "encoders", "all-MiniLM-L6-v2"), Description = "the encoder folder the index is built with and queries are embedded by" };
var searchQueries = new Option<int>("--queries") { DefaultValueFactory = _ => 300, Description = "Online Retail target items per query set" };
var searchConcurrency = new Option<string>("--concurrency") { DefaultValueFactory = _ => "1,4", Description = "comma-separated concurrent client counts, one load run each" };
var searchColdStarts = new Option<int>("--cold-starts") { DefaultValueFactory = _ => 5 };
var qualityStore = new Option<string?>("--quality-store") { Description = "measure quality only, on a store that holds the Online Retail catalogue (e.g. dir:PATH after import-online-retail)" };
var baselineHandler = new Option<string?>("--baseline-handler") { Description = "another handler build (e.g. main's) whose cold start is measured in turn with --handler's" };
var search = new Command("search", "Search quality (MRR@10, recall@10 of lexical, semantic, hybrid) on Online Retail and the fixture catalogue; cold start, first search and /api/search latency")
    { handler, searchModel, fixtures, searchQueries, searchConcurrency, duration, searchColdStarts, qualityStore, baselineHandler };
search.SetAction((parse, ct) => SearchBenchmark.RunAsync(parse.GetValue(qualityStore) is null ? StorageConnection() : "", new SearchBenchmark.Options(parse.GetValue(handler)!, parse.GetValue(searchModel)!, parse.GetValue(fixtures)!,
    parse.GetValue(searchQueries), parse.GetValue(searchConcurrency)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
    TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(searchColdStarts), parse.GetValue(qualityStore), parse.GetValue(baselineHandler)), Console.Out, ct));
root.Subcommands.Add(search);

return await root.Parse(args).InvokeAsync();

static ServerlessReco.Rank.ScorerChain? ServeStrategy(string? name) => name is null ? null
    : ServerlessReco.Rank.ScorerChains.TryParse(name, out var chain) ? chain
    : throw new ArgumentException($"--strategy must be one of {string.Join(", ", ServerlessReco.Rank.ScorerChains.Names)}, not '{name}'");

static string StorageConnection() => Environment.GetEnvironmentVariable(DataStore.ConnectionStringVariable) is { Length: > 0 } c ? c
    : throw new InvalidOperationException($"{DataStore.ConnectionStringVariable} is not set: run benchmarks with ./reco bench, which starts azurite.");

// The handler built beside the benchmarks: functions/ServerlessReco.Functions/bin/<config>/net10.0/reco-handler.dll.
static string DefaultHandler()
{
    var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
    return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "functions", "ServerlessReco.Functions", "bin", config, "net10.0", "reco-handler.dll"));
}
