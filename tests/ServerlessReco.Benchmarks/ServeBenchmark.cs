using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Catalog;
using ServerlessReco.Jobs.Cli;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Storage;
using ServerlessReco.Telemetry;
using ServerlessReco.Tests;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// Latency and throughput of GET /api/recommendations against the real handler process with azurite behind it,
/// and cold start (process start to first successful recommendation). Server-side latency comes from the
/// handler's Server-Timing header, so the load generator's own cost on the same cores does not inflate it.
/// </summary>
public static class ServeBenchmark
{
    public sealed record Options(string Scenario, string HandlerCommand, int[] ConcurrencyLevels, TimeSpan Duration, TimeSpan Warmup, int ColdStarts, int Count)
    {
        public int Concurrency { get; init; } = ConcurrencyLevels[0];
        /// <summary>Added to every storage round trip of the handler by a <see cref="FaultyStorage"/> proxy; zero for none.</summary>
        public TimeSpan StorageLatency { get; init; }
        /// <summary>The strategy query parameter every request sends; null sends none (the handler's default, als).</summary>
        public ScorerChain? Strategy { get; init; }
        /// <summary>Instead of the usual run: alternate handlers with impressions and telemetry off and on, this many rounds.</summary>
        public int FeedbackRounds { get; init; }
    }

    /// <summary>
    /// Epochs of the benchmark's sequence model: a request's cost depends on the architecture and the shopper's
    /// sequence, not on how well the weights are trained, and a full training run takes many minutes.
    /// </summary>
    private const int BenchSequenceEpochs = 3;

    private static readonly string[] SyntheticMarkets = ["GB", "DE", "FR", "IE", "ES", "NL", "BE", "CH", "PT", "JP"];

    public static async Task<int> RunAsync(string connectionString, Options options, TextWriter output, CancellationToken ct)
    {
        bool sequence = options.Strategy is ScorerChain.Sequence or ScorerChain.AlsSequence;
        if (sequence && options.Scenario != "online-retail") throw new ArgumentException("--strategy sequence and als+sequence run on --scenario online-retail only");
        // A version with a sequence model lives under its own prefix, so the ALS-only figures keep theirs.
        var prefix = options.Scenario switch
        {
            "online-retail" => sequence ? "benchretailseq" : "benchretail",
            "synthetic" => "benchsynth",
            _ => throw new ArgumentException("--scenario must be online-retail or synthetic"),
        };
        var store = DataStore.FromConnectionString(connectionString, prefix);
        var model = await EnsureModelAsync(store, options.Scenario, output, ct, sequence).ConfigureAwait(false);
        var users = options.Scenario == "online-retail" ? RetailUsers(model) : Enumerable.Range(0, 2000).Select(i => ("u" + i, SyntheticMarkets[i % SyntheticMarkets.Length])).ToList();
        output.WriteLine($"scenario {options.Scenario}: model {model.Version}, {model.UserCount:N0} users, {model.ItemCount:N0} items, {model.Factors} factors; {users.Count:N0} request users");
        string query = Query(options);
        if (model.Manifest.Training.Sequence is { } architecture)
        {
            output.WriteLine($"sequence model: {architecture.Blocks} blocks, hidden {architecture.Hidden}, {architecture.Heads} head(s), max length {architecture.MaxLength} ({model.Manifest.Metrics.GetValueOrDefault("sequence.epochs")} epochs: cost per request does not depend on training length)");
            output.WriteLine(ForwardPassCost(model, users));
        }
        // Half the shoppers have events the model has not seen (their recommendations read the events table), half
        // none (theirs need no storage call once the handler's activity feed says so); each half is measured alone.
        var fresh = users.Where((_, i) => i % 2 == 0).ToList();
        var quiet = users.Where((_, i) => i % 2 == 1).ToList();
        await WriteFreshEventsAsync(store, model, fresh, ct).ConfigureAwait(false);
        output.WriteLine($"{fresh.Count:N0} request users ('fresh') have 5 events stored now, after the model (trained up to {model.Manifest.TrainedUntil:O}); the other {quiet.Count:N0} ('none new') have none");
        // The benchmark prepares storage directly; only the handler goes through the proxy.
        await using var proxy = options.StorageLatency > TimeSpan.Zero ? FaultyStorage.Start(connectionString) : null;
        if (proxy is not null)
        {
            proxy.Delay = options.StorageLatency;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"handler storage behind a proxy adding {options.StorageLatency.TotalMilliseconds:F0} ms per round trip"));
        }
        var handlerConnection = proxy?.ConnectionString ?? connectionString;

        if (options.FeedbackRounds > 0)
        {
            await CompareFeedbackAsync(store, handlerConnection, prefix, users, options, output, ct).ConfigureAwait(false);
            output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
            return 0;
        }

        var cold = new List<double>();
        for (int i = 0; i < options.ColdStarts; i++)
        {
            await using var handler = await HandlerProcess.StartAsync(options.HandlerCommand, handlerConnection, prefix, ct).ConfigureAwait(false);
            var (user, market) = users[i % users.Count];
            cold.Add(await handler.MillisecondsToFirstRecommendationAsync($"/api/recommendations/{Uri.EscapeDataString(user)}?market={market}&count={options.Count}{query}", Authorization(user), ct).ConfigureAwait(false));
        }
        if (cold.Count > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold start (process start -> first 200 recommendation): median {Median(cold):F0} ms, min {cold.Min():F0} ms, max {cold.Max():F0} ms over {cold.Count} starts ({options.HandlerCommand})"));

        await using (var handler = await HandlerProcess.StartAsync(options.HandlerCommand, handlerConnection, prefix, ct).ConfigureAwait(false))
        {
            await handler.MillisecondsToFirstRecommendationAsync($"/api/recommendations/{Uri.EscapeDataString(users[0].Item1)}?market={users[0].Item2}{query}", Authorization(users[0].Item1), ct).ConfigureAwait(false);
            await LoadAsync(handler.Address, users, options with { Duration = options.Warmup, Concurrency = options.ConcurrencyLevels.Max() }, null, ct).ConfigureAwait(false);
            output.WriteLine("clients | shoppers | requests/s | server p50 ms | server p99 ms | client p50 ms | client p99 ms | handler us/req | azurite us/req | loadgen us/req | storage trips/req | ok | failed | strategies");
            foreach (int clients in options.ConcurrencyLevels)
            foreach (var (group, groupUsers) in new[] { ("fresh", fresh), ("none new", quiet) })
            {
                var result = new LoadResult();
                var (handlerBefore, azuriteBefore, loadBefore) = (handler.Cpu, HandlerProcess.AzuriteCpu(), Process.GetCurrentProcess().TotalProcessorTime);
                long tripsBefore = proxy?.RoundTrips ?? 0;
                var clock = Stopwatch.StartNew();
                await LoadAsync(handler.Address, groupUsers, options with { Concurrency = clients }, result, ct).ConfigureAwait(false);
                double seconds = clock.Elapsed.TotalSeconds;
                string PerRequest(TimeSpan? cpu) => cpu is { } c && result.Ok > 0 ? (c.TotalMicroseconds / result.Ok).ToString("F0", CultureInfo.InvariantCulture) : "?";
                // Every storage round trip the handler made during the run (model and catalogue polls included), per answer.
                var trips = proxy is null || result.Ok == 0 ? "-" : ((proxy.RoundTrips - tripsBefore) / (double)result.Ok).ToString("F3", CultureInfo.InvariantCulture);
                var cpuColumns = $"{PerRequest(handler.Cpu - handlerBefore),14} | {PerRequest(HandlerProcess.AzuriteCpu() - azuriteBefore),14} | {PerRequest(Process.GetCurrentProcess().TotalProcessorTime - loadBefore),14}";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{clients,7} | {group,8} | {result.Ok / seconds,10:F0} | {Percentile(result.Server, 0.50),13:F2} | {Percentile(result.Server, 0.99),13:F2} | {Percentile(result.Client, 0.50),13:F2} | {Percentile(result.Client, 0.99),13:F2} | {cpuColumns} | {trips,17} | {result.Ok:N0} | {result.Failed:N0} | {string.Join(", ", result.Strategies.Select(kv => $"{kv.Key} {kv.Value:N0}"))}"));
            }
            output.WriteLine($"each level runs {options.Duration.TotalSeconds:F0} s, closed loop over loopback; server = the handler's Server-Timing, client includes the load generator sharing the cores");
        }
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        return 0;
    }

    private static async Task WriteFreshEventsAsync(DataStore store, ModelArtifacts model, List<(string User, string Market)> users, CancellationToken ct)
    {
        var pseudonymizer = Pseudonymizer.FromEnvironment();
        var random = new Random(5);
        var now = DateTimeOffset.UtcNow;
        var events = users.SelectMany(u => Enumerable.Range(0, 5).Select(i => new InteractionEvent
        {
            EventId = $"bench-{u.User}-{now.UtcTicks}-{i}",
            User = pseudonymizer.Pseudonymize(u.User),
            Item = model.ItemIds[random.Next(model.ItemCount)],
            Type = EventType.View,
            Market = u.Market,
            Timestamp = now.AddMinutes(-i),
        })).ToList();
        await store.RecentEvents.UpsertAsync(events, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The cost of online feedback: the same load against a handler with impressions off and no telemetry, then one
    /// writing impressions and exporting spans (at the default sample ratio, then every one) and metrics over OTLP to
    /// a sink in this process, alternated for the given rounds so that drift on a shared machine hits all alike.
    /// </summary>
    private static async Task CompareFeedbackAsync(DataStore store, string connection, string prefix, List<(string User, string Market)> users, Options options, TextWriter output, CancellationToken ct)
    {
        var sink = WebApplication.CreateSlimBuilder();
        sink.WebHost.UseUrls("http://127.0.0.1:0");
        sink.Logging.ClearProviders();
        await using var collector = sink.Build();
        long exports = 0, exportedBytes = 0;
        collector.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body).ConfigureAwait(false);
            Interlocked.Increment(ref exports);
            Interlocked.Add(ref exportedBytes, body.Length);
            return Results.Ok();
        });
        await collector.StartAsync(ct).ConfigureAwait(false);
        var endpoint = collector.Urls.First();
        Dictionary<string, string> On(double traceSampleRatio) => new()
        {
            ["RECO_IMPRESSIONS"] = "on",
            [TelemetryOptions.OtlpEndpointKey] = endpoint,
            [TelemetryOptions.TraceSampleRatioKey] = traceSampleRatio.ToString(CultureInfo.InvariantCulture),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        // "on" is what a deployment gets: the default sample ratio, and the exporters' default intervals (spans every
        // 5 s, metrics every 60 s); "traced" traces every request, the worst case.
        var configurations = new (string Name, Dictionary<string, string> Settings)[]
        {
            ("off", new() { ["RECO_IMPRESSIONS"] = "off" }),
            ("on", On(TelemetryOptions.DefaultTraceSampleRatio)),
            ("traced", On(1)),
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"impressions + telemetry off vs on (OTLP http/protobuf to a sink at {endpoint}; on traces {TelemetryOptions.DefaultTraceSampleRatio:P0} of requests, traced every one), {options.FeedbackRounds} alternating rounds"));
        // Azurite and this process (load generator and OTLP sink) share the cores with the handler: their CPU shows how
        // much of a difference is work a deployment does elsewhere (the storage service, the collector).
        output.WriteLine("round | feedback | clients | requests/s | server p50 ms | server p99 ms | client p50 ms | client p99 ms | handler us/req | azurite us/req | bench us/req | failed");
        var written = new Dictionary<string, long>();
        for (int round = 1; round <= options.FeedbackRounds; round++)
        {
            foreach (var (name, settings) in configurations)
            {
                await RunAsync(name, settings, round).ConfigureAwait(false);
                // Every configuration starts from the same storage: what an "on" handler wrote (flushed as it stopped) is
                // counted and removed. Kept, it grew the in-memory emulator round after round, which then slowed every
                // later handler, whichever configuration it ran.
                var impressions = new ImpressionLog(store.Blobs);
                written[name] = written.GetValueOrDefault(name) + (await impressions.ReadAsync(null, ct).ConfigureAwait(false)).Count;
                await foreach (var path in store.Blobs.ListAsync(Containers.Impressions, "", ct).ConfigureAwait(false))
                    await store.Blobs.DeleteAsync(Containers.Impressions, path, ct).ConfigureAwait(false);
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the sink received {exports:N0} OTLP exports, {exportedBytes / 1024.0 / 1024.0:F1} MiB; each level runs {options.Duration.TotalSeconds:F0} s"));
        output.WriteLine($"impressions written: {string.Join(", ", written.Select(kv => $"{kv.Key} {kv.Value:N0}"))}");

        async Task RunAsync(string name, Dictionary<string, string> settings, int round)
        {
            await using var handler = await HandlerProcess.StartAsync(options.HandlerCommand, connection, prefix, ct, settings).ConfigureAwait(false);
            await handler.MillisecondsToFirstRecommendationAsync($"/api/recommendations/{Uri.EscapeDataString(users[0].Item1)}?market={users[0].Item2}", Authorization(users[0].Item1), ct).ConfigureAwait(false);
            await LoadAsync(handler.Address, users, options with { Duration = options.Warmup, Concurrency = options.ConcurrencyLevels.Max() }, null, ct).ConfigureAwait(false);
            foreach (int clients in options.ConcurrencyLevels)
            {
                var result = new LoadResult();
                var (handlerBefore, azuriteBefore, benchBefore) = (handler.Cpu, HandlerProcess.AzuriteCpu(), Process.GetCurrentProcess().TotalProcessorTime);
                var clock = Stopwatch.StartNew();
                await LoadAsync(handler.Address, users, options with { Concurrency = clients }, result, ct).ConfigureAwait(false);
                double seconds = clock.Elapsed.TotalSeconds;
                string PerRequest(TimeSpan? cpu) => cpu is { } c && result.Ok > 0 ? (c.TotalMicroseconds / result.Ok).ToString("F0", CultureInfo.InvariantCulture) : "?";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{round,5} | {name,8} | {clients,7} | {result.Ok / seconds,10:F0} | {Percentile(result.Server, 0.50),13:F2} | {Percentile(result.Server, 0.99),13:F2} | {Percentile(result.Client, 0.50),13:F2} | {Percentile(result.Client, 0.99),13:F2} | {PerRequest(handler.Cpu - handlerBefore),14} | {PerRequest(HandlerProcess.AzuriteCpu() - azuriteBefore),14} | {PerRequest(Process.GetCurrentProcess().TotalProcessorTime - benchBefore),12} | {result.Failed:N0}"));
            }
        }
    }

    /// <summary>What a storefront back end hands each shopper's browser; the handler runs with the development secret.</summary>
    internal static string Authorization(string user) =>
        $"{ShopperTokens.Scheme} {ShopperTokens.ForSecret(null, TimeProvider.System).Mint(user, DateTimeOffset.UtcNow.AddDays(1))}";

    private sealed class LoadResult
    {
        public long Ok, Failed;
        public readonly List<double> Client = [];
        public readonly List<double> Server = [];
        public readonly Dictionary<string, long> Strategies = [];
    }

    private static async Task LoadAsync(Uri address, List<(string User, string Market)> users, Options options, LoadResult? result, CancellationToken ct)
    {
        // Requests prepared once, before the clock: the load generator shares the cores with what it measures.
        var requests = users.Select(u => LoopbackHttpConnection.Get(address, $"/api/recommendations/{Uri.EscapeDataString(u.User)}?market={u.Market}&count={options.Count}{Query(options)}", Authorization(u.User))).ToArray();
        var deadline = DateTime.UtcNow + options.Duration;
        var workers = Enumerable.Range(0, options.Concurrency).Select(async worker =>
        {
            var random = new Random(worker);
            using var connection = await LoopbackHttpConnection.OpenAsync(address, ct).ConfigureAwait(false);
            var client_ = new List<double>();
            var server_ = new List<double>();
            var strategies = new Dictionary<string, long>();
            long ok = 0, failed = 0;
            while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                var request = requests[random.Next(requests.Length)];
                long start = Stopwatch.GetTimestamp();
                var response = await connection.SendAsync(request, ct).ConfigureAwait(false);
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                var body = response.Body.Span;
                // An answer without items is a failure too: it would flatter latency.
                if (response.Status != (int)HttpStatusCode.OK || body.IndexOf("\"items\":[]"u8) >= 0) { failed++; continue; }
                ok++;
                client_.Add(ms);
                if (response.ServerMilliseconds is { } s) server_.Add(s);
                var strategy = StrategyOf(body);
                strategies[strategy] = strategies.GetValueOrDefault(strategy) + 1;
            }
            if (result is null) return;
            lock (result)
            {
                result.Ok += ok;
                result.Failed += failed;
                result.Client.AddRange(client_);
                result.Server.AddRange(server_);
                foreach (var (k, v) in strategies) result.Strategies[k] = result.Strategies.GetValueOrDefault(k) + v;
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private static string Query(Options options) => options.Strategy is { } chain ? "&strategy=" + Uri.EscapeDataString(ScorerChains.Name(chain)) : "";

    /// <summary>
    /// CPU per request of the sequence model in this process, one thread, every request user once after a warm-up
    /// round: the forward pass alone, and the forward pass plus the int8 scan and exact re-rank of the top count.
    /// </summary>
    private static string ForwardPassCost(ModelArtifacts artifacts, List<(string User, string Market)> users)
    {
        var model = ServingModel.Build(artifacts);
        var pseudonymizer = Pseudonymizer.FromEnvironment();
        var shoppers = users.Select(u => ShopperHistory.From([], model, model.UserIndex.GetValueOrDefault(pseudonymizer.Pseudonymize(u.User), -1), artifacts.Manifest.TrainedUntil))
            .Where(s => s.Sequence.Length > 0).ToList();
        var items = artifacts.ItemIds.ToDictionary(id => id, id => new CatalogItem { Id = id, Markets = [], InStock = true }, StringComparer.Ordinal);
        var allItems = new FixedCatalog(items);
        var filter = new ItemFilter(model, allItems, null, null, new HashSet<string>(), new HashSet<string>(), new HashSet<string>());
        var scorer = new SequenceScorer();
        double Measure(Action<ShopperHistory> work)
        {
            foreach (var s in shoppers) work(s);
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var s in shoppers) work(s);
            return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / shoppers.Count;
        }
        double forward = Measure(s => ServerlessReco.Sequence.SequenceEncoder.Encode(model.Sequence!.Network, s.Sequence, new float[s.Sequence.Length]));
        double ranked = Measure(s => scorer.Score(model, s, null)!.Top(20, filter));
        return string.Create(CultureInfo.InvariantCulture,
            $"sequence model CPU per request, in process, one thread, {shoppers.Count:N0} shoppers (mean sequence {shoppers.Average(s => s.Sequence.Length):F1} items): forward pass {forward:F0} us, forward pass + int8 scan and exact re-rank of the top 20 {ranked:F0} us");
    }

    private static string StrategyOf(ReadOnlySpan<byte> span)
    {
        var key = "\"strategy\":\""u8;
        int at = span.IndexOf(key);
        if (at < 0) return "?";
        var rest = span[(at + key.Length)..];
        int end = rest.IndexOf((byte)'"');
        return end < 0 ? "?" : System.Text.Encoding.UTF8.GetString(rest[..end]);
    }

    internal static List<(string, string)> RetailUsers(ModelArtifacts model)
    {
        // Online Retail customer ids run from 12346 to 18287; keep those the model knows (pseudonyms are one-way).
        var pseudonymizer = Pseudonymizer.FromEnvironment();
        var known = model.UserIds.ToHashSet(StringComparer.Ordinal);
        string[] markets = ["GB", "GB", "GB", "GB", "DE", "FR", "IE", "ES", "NL", "BE"];
        return Enumerable.Range(12346, 18287 - 12346 + 1).Select(id => id.ToString(CultureInfo.InvariantCulture))
            .Where(id => known.Contains(pseudonymizer.Pseudonymize(id)))
            .Select((id, i) => (id, markets[i % markets.Length])).ToList();
    }

    internal static async Task<ModelArtifacts> EnsureModelAsync(DataStore store, string scenario, TextWriter output, CancellationToken ct, bool sequence = false)
    {
        // Without the provisioned events table each request would read a missing table, an error answer that a
        // real account never gives.
        await HandlerProcess.ProvisionTablesAsync(store, ct).ConfigureAwait(false);
        if (await store.Models.ReadCurrentAsync(ct).ConfigureAwait(false) is { } current)
            return await store.Models.LoadAsync(current.Version, ct).ConfigureAwait(false);
        output.WriteLine($"preparing the {scenario} model in azurite (once; later runs reuse it)...");
        ModelManifest manifest;
        if (scenario == "online-retail")
        {
            JobConsole.Render(await ImportJobs.OnlineRetailAsync(store, null, JobConsole.Progress, ct).ConfigureAwait(false));
            var settings = sequence ? new TrainSettings { Sequence = new ServerlessReco.Sequence.SequenceOptions { MaxEpochs = BenchSequenceEpochs } } : new TrainSettings();
            manifest = (await TrainJob.RunAsync(store, settings, JobConsole.Progress, ct).ConfigureAwait(false)).Manifest;
        }
        else manifest = await WriteSyntheticAsync(store, ct).ConfigureAwait(false);
        // What the nightly pipeline leaves behind: handlers start from the snapshot, not from a table scan.
        JobConsole.Render(await SnapshotJob.RunAsync(store, CatalogChangeFeed.DefaultRetention, ct).ConfigureAwait(false));
        await store.Models.PublishAsync(manifest.Version, ct).ConfigureAwait(false);
        return await store.Models.LoadAsync(manifest.Version, ct).ConfigureAwait(false);
    }

    /// <summary>100,000 items x 64 factors, 20,000 users, ten markets, every item in stock and sold everywhere.</summary>
    private static async Task<ModelManifest> WriteSyntheticAsync(DataStore store, CancellationToken ct)
    {
        const int items = 100_000, users = 20_000, k = 64;
        var random = new Random(64);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * 0.1);
        var itemFactors = new float[items * k];
        var userFactors = new float[users * k];
        for (int i = 0; i < itemFactors.Length; i++) itemFactors[i] = Normal();
        for (int i = 0; i < userFactors.Length; i++) userFactors[i] = Normal();
        var marketRows = SyntheticMarkets.Prepend(ModelArtifacts.GlobalMarket).ToArray();
        var popularity = new float[marketRows.Length * items];
        for (int i = 0; i < popularity.Length; i++) popularity[i] = (float)(1.0 / (1 + (i % items)) * random.NextDouble());
        var itemIds = Enumerable.Range(0, items).Select(i => "sku" + i.ToString("D6", CultureInfo.InvariantCulture)).ToArray();
        var categories = Enumerable.Range(0, items).Select(i => "category" + (i % 50).ToString(CultureInfo.InvariantCulture)).ToArray();
        var pseudonymizer = Pseudonymizer.FromEnvironment();
        var now = DateTimeOffset.UtcNow;
        var catalog = itemIds.Select((id, i) => new CatalogItem
        {
            Id = id, Category = categories[i], Title = "Synthetic item " + id, Markets = SyntheticMarkets, InStock = true, UpdatedAt = now,
        }).ToList();
        foreach (var chunk in catalog.Chunk(5_000)) await store.Catalog.UpsertAsync(chunk, ct).ConfigureAwait(false);
        return await store.Models.WriteVersionAsync(new ModelArtifacts
        {
            Manifest = new ModelManifest
            {
                Version = ModelStore.NewVersion(now), CreatedAt = now, TrainedUntil = now,
                Training = new ServerlessReco.Train.TrainingParameters
                {
                    Als = new ServerlessReco.Train.AlsOptions { Factors = k, Alpha = 1, Regularization = 1 }, ChosenBy = "synthetic benchmark model",
                },
            },
            UserIds = Enumerable.Range(0, users).Select(i => pseudonymizer.Pseudonymize("u" + i.ToString(CultureInfo.InvariantCulture))).ToArray(),
            ItemIds = itemIds,
            UserFactors = userFactors,
            ItemFactors = itemFactors,
            PopularityMarkets = marketRows,
            Popularity = popularity,
            ItemCategories = categories,
        }, ct).ConfigureAwait(false);
    }

    internal static double Median(List<double> values) => Percentile(values, 0.5);

    internal static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
