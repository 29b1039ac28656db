using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ServerlessReco.Storage;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// `bench ingest`: events/s accepted end to end (HTTP in, event log + events table written to
/// real storage, answer parsed) by the function app's handler, its own process as the Functions host starts it, on a loopback socket.
/// Every event id is new, so every event does the full write path; each scenario runs for a bounded number of events
/// or seconds. Each scenario gets a handler on fresh containers and tables (its own storage prefix): azurite's
/// in-memory tables slow down as they grow, and scenarios run late would otherwise pay for those run before.
/// </summary>
public static class IngestBenchmark
{
    private const int EventsPerSession = 10;
    /// <summary>Shoppers active at once in single-event scenarios: concurrent requests come from different shoppers.</summary>
    private const int OpenSessions = 1_000;

    private sealed record Scenario(string Name, string Path, int BatchSize, int Concurrency, int MaxEvents, TimeSpan MaxTime, bool EventHub)
    {
        /// <summary>The name `--only` takes: http-1-64, eventhub-500-8.</summary>
        public string Key => $"{(EventHub ? "eventhub" : "http")}-{BatchSize}-{Concurrency}";
    }

    private static readonly Scenario[] Scenarios =
    [
        new("http  batch   1", "/api/events", 1, 8, 5_000, TimeSpan.FromSeconds(10), false),
        // A storefront's shoppers each sending their own events as they happen.
        new("http  batch   1", "/api/events", 1, 64, 60_000, TimeSpan.FromSeconds(15), false),
        new("http  batch   1", "/api/events", 1, 256, 100_000, TimeSpan.FromSeconds(15), false),
        new("http  batch 100", "/api/events", 100, 8, 60_000, TimeSpan.FromSeconds(15), false),
        new("http  batch 500", "/api/events", 500, 8, 100_000, TimeSpan.FromSeconds(15), false),
        new("eventhub    100", "/IngestEvents", 100, 8, 60_000, TimeSpan.FromSeconds(15), true),
        new("eventhub    500", "/IngestEvents", 500, 8, 100_000, TimeSpan.FromSeconds(15), true),
    ];

    /// <param name="only">Scenario keys to run (<see cref="Scenario.Key"/>); empty runs all.</param>
    /// <param name="handlerCommand">reco-handler.dll (JIT) or the Native AOT executable, started as its own process per scenario.</param>
    public static async Task<int> RunAsync(string connectionString, string handlerCommand, IReadOnlyCollection<string> only, TextWriter output, CancellationToken ct)
    {
        var unknown = only.Except(Scenarios.Select(s => s.Key)).ToList();
        if (unknown.Count > 0)
        {
            output.WriteLine($"unknown scenario {string.Join(", ", unknown)}; known: {string.Join(", ", Scenarios.Select(s => s.Key))}");
            return 2;
        }
        output.WriteLine($"ingest benchmark: handler process on loopback, {Environment.ProcessorCount} cores, load column = 1-minute load average after the scenario");
        output.WriteLine("every event id new; accepted = stored in event log + events table (its row is the dedup marker); batches: sessions of 10 events per shopper;");
        output.WriteLine($"single events: {OpenSessions:N0} shoppers active at once, so concurrent requests come from different shoppers; each scenario on fresh tables and containers");
        output.WriteLine($"CPU us per accepted event of each process: handler ({handlerCommand}), load generator (this process), azurite (RECO_AZURITE_PID, set by ./reco)");
        output.WriteLine($"{"scenario",-16} {"clients",7} {"requests",9} {"accepted",9} {"seconds",8} {"events/s",9} {"p50 ms",7} {"p99 ms",7} {"handler",7} {"loadgen",7} {"azurite",7} {"load",5}");
        int failures = 0;
        foreach (var scenario in Scenarios.Where(s => only.Count == 0 || only.Contains(s.Key)))
        {
            var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
            await HandlerProcess.ProvisionTablesAsync(DataStore.FromConnectionString(connectionString, prefix), ct);
            await using var handler = await HandlerProcess.StartAsync(handlerCommand, connectionString, prefix, ct);
            await handler.WaitReadyAsync(ct);
            // Warm-up: the handler's first requests, and this store's containers created.
            await RunScenarioAsync(handler, scenario with { BatchSize = 100, MaxEvents = 2_000 }, "warm" + scenario.Name.Replace(" ", ""), ct);
            var r = await RunScenarioAsync(handler, scenario, scenario.Name.Replace(" ", ""), ct);
            failures += r.Failures;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.Name,-16} {scenario.Concurrency,7} {r.Requests,9:N0} {r.Accepted,9:N0} {r.Seconds,8:F2} {r.Accepted / r.Seconds,9:N0} {r.P50,7:F1} {r.P99,7:F1} {r.HandlerMicrosPerEvent,7:F0} {r.LoadMicrosPerEvent,7:F0} {(r.AzuriteMicrosPerEvent is { } a ? a.ToString("F0", CultureInfo.InvariantCulture) : "?"),7} {LoadAverage(),5}{(r.Failures > 0 ? $"  ({r.Failures} failed requests)" : "")}"));
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The one-minute load average, so that each figure says how busy the shared machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <param name="HandlerMicrosPerEvent">
    /// The handler process's CPU per accepted event: with the load generator and the storage emulator on the same
    /// cores, this shows how much of the machine ingestion itself needs.
    /// </param>
    /// <param name="LoadMicrosPerEvent">This process's CPU (the load generator) per accepted event.</param>
    /// <param name="AzuriteMicrosPerEvent">The storage emulator's CPU per accepted event; null when its process is not known.</param>
    private sealed record Result(int Requests, long Accepted, double Seconds, double P50, double P99, int Failures, double HandlerMicrosPerEvent, double LoadMicrosPerEvent, double? AzuriteMicrosPerEvent);

    private static async Task<Result> RunScenarioAsync(HandlerProcess handler, Scenario scenario, string idPrefix, CancellationToken ct)
    {
        var requests = scenario.MaxEvents / scenario.BatchSize;
        // Requests are built before the clock starts: the benchmark measures the server, not the client's JSON.
        var bodies = Enumerable.Range(0, requests).Select(r => LoopbackHttpConnection.PostJson(handler.Address, scenario.Path, Body(scenario, idPrefix, r))).ToArray();
        var connections = await Task.WhenAll(Enumerable.Range(0, scenario.Concurrency).Select(_ => LoopbackHttpConnection.OpenAsync(handler.Address, ct)));
        long accepted = 0;
        int next = -1, failures = 0;
        var latencies = new List<double>[scenario.Concurrency];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var handlerBefore = handler.Cpu;
        var azuriteBefore = HandlerProcess.AzuriteCpu();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, scenario.Concurrency).Select(async w =>
        {
            latencies[w] = [];
            using var connection = connections[w];
            int r;
            while ((r = Interlocked.Increment(ref next)) < requests && clock.Elapsed < scenario.MaxTime)
            {
                var started = Stopwatch.GetTimestamp();
                var response = await connection.SendAsync(bodies[r], ct);
                latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.Status is < 200 or > 299) { Interlocked.Increment(ref failures); continue; }
                using var answer = JsonDocument.Parse(response.Body);
                var counts = scenario.EventHub ? answer.RootElement.GetProperty("ReturnValue") : answer.RootElement;
                Interlocked.Add(ref accepted, counts.GetProperty("accepted").GetInt32());
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds;
        var handlerCpu = (handler.Cpu - handlerBefore).TotalMicroseconds;
        var azurite = HandlerProcess.AzuriteCpu() - azuriteBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new Result(all.Length, accepted, seconds, Percentile(0.50), Percentile(0.99), failures, accepted == 0 ? 0 : handlerCpu / accepted, accepted == 0 ? 0 : cpu / accepted,
            accepted == 0 || azurite is null ? null : azurite.Value.TotalMicroseconds / accepted);
    }

    /// <summary>
    /// Event n's shopper session and its place in that session. Batches hold whole sessions (a storefront that
    /// batches sends a shopper's events together); single events interleave <see cref="OpenSessions"/> sessions,
    /// as independent shoppers do.
    /// </summary>
    private static (long Session, long Position) SessionOf(long n, int batchSize) => batchSize > 1
        ? (n / EventsPerSession, n % EventsPerSession)
        : (n / (EventsPerSession * OpenSessions) * OpenSessions + n % OpenSessions, n / OpenSessions % EventsPerSession);

    private static byte[] Body(Scenario scenario, string idPrefix, int request)
    {
        var now = DateTimeOffset.UtcNow;
        var events = new string[scenario.BatchSize];
        for (int i = 0; i < events.Length; i++)
        {
            long n = (long)request * scenario.BatchSize + i;
            var (session, position) = SessionOf(n, scenario.BatchSize);
            var type = position switch { 9 => "purchase", 7 or 8 => "add_to_cart", 4 or 5 or 6 => "click", _ => "view" };
            events[i] = string.Create(CultureInfo.InvariantCulture,
                $$"""{"eventId":"{{idPrefix}}-{{n}}","userId":"shopper-{{session % 50_000}}","itemId":"item-{{(n * 7919) % 4_000}}","type":"{{type}}","quantity":1,"value":{{(n % 50) + 0.99}},"market":"{{Markets[session % Markets.Length]}}","locale":"en-GB","timestamp":"{{now.AddSeconds(-(n % 86_400)).ToString("O", CultureInfo.InvariantCulture)}}","sessionId":"s-{{idPrefix}}-{{session}}"}""");
        }
        if (!scenario.EventHub) return Encoding.UTF8.GetBytes("[" + string.Join(",", events) + "]");
        // The Functions host's invocation request: the batch as a string holding a JSON array of strings.
        var times = JsonSerializer.Serialize(Enumerable.Repeat(now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), events.Length).ToArray(), BenchJsonContext.Default.StringArray);
        var sequences = "[" + string.Join(",", Enumerable.Range(0, events.Length).Select(i => ((long)request * scenario.BatchSize + i).ToString(CultureInfo.InvariantCulture))) + "]";
        var data = JsonSerializer.Serialize(JsonSerializer.Serialize(events, BenchJsonContext.Default.StringArray), BenchJsonContext.Default.String);
        var json = "{\"Data\":{\"events\":" + data + "},\"Metadata\":{\"TriggerPartitionContext\":{\"EventHubName\":\"events\",\"ConsumerGroup\":\"$Default\",\"PartitionId\":\"" + (request % 4).ToString(CultureInfo.InvariantCulture)
            + "\"},\"SequenceNumberArray\":" + JsonSerializer.Serialize(sequences, BenchJsonContext.Default.String)
            + ",\"EnqueuedTimeUtcArray\":" + JsonSerializer.Serialize(times, BenchJsonContext.Default.String) + "}}";
        return Encoding.UTF8.GetBytes(json);
    }

    private static readonly string[] Markets = ["GB", "DE", "FR", "NL", "IE", "ES"];
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal partial class BenchJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
