using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ServerlessReco.Telemetry;
using ServerlessReco.Tests.Cli;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Feedback;

/// <summary>What the handler and the jobs export, received on a real socket by stand-ins for an OTLP collector and Application Insights' ingestion.</summary>
public class TelemetryTests
{
    /// <summary>Both receivers on one loopback server: OTLP/HTTP bodies by signal ("traces", "metrics"), Application Insights items as "track".</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _received = new();

        private Sink(WebApplication app) => _app = app;

        public string Address { get; private set; } = "";

        public string ApplicationInsights => $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={Address}/";

        public static async Task<Sink> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var sink = new Sink(builder.Build());
            // OTLP protobuf is stored as Latin-1 text: the strings it carries (names, attribute keys and values) stay searchable.
            sink._app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
            {
                sink.Add(signal, Encoding.Latin1.GetString(await ReadAsync(request.Body)));
                return Results.Ok();
            });
            sink._app.MapPost("/v2.1/track", async (HttpRequest request) =>
            {
                var body = request.Headers.ContentEncoding == "gzip" ? new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress) : request.Body;
                sink.Add("track", Encoding.UTF8.GetString(await ReadAsync(body)));
                return Results.Json(new { itemsReceived = 1, itemsAccepted = 1, errors = Array.Empty<object>() });
            });
            await sink._app.StartAsync();
            sink.Address = sink._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return sink;
        }

        private static async Task<byte[]> ReadAsync(Stream body)
        {
            using var copy = new MemoryStream();
            await body.CopyToAsync(copy);
            return copy.ToArray();
        }

        private void Add(string signal, string body) => _received.GetOrAdd(signal, _ => new()).Enqueue(body);

        public IReadOnlyList<string> Bodies(string signal) => _received.TryGetValue(signal, out var bodies) ? [.. bodies] : [];

        public bool Seen(string signal, string text) => Bodies(signal).Any(b => b.Contains(text, StringComparison.Ordinal));

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    private static Dictionary<string, string?> OtlpSettings(Sink sink, double traceSampleRatio)
    {
        var settings = Settings;
        settings[TelemetryOptions.OtlpEndpointKey] = sink.Address;
        settings[TelemetryOptions.TraceSampleRatioKey] = traceSampleRatio.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        return settings;
    }

    [Fact]
    public async Task With_an_otlp_endpoint_spans_and_metrics_reach_the_collector_tagged_with_strategy_and_version()
    {
        await using var sink = await Sink.StartAsync();
        var store = await PublishedStoreAsync();
        await using var handler = await RunningHandler.StartAsync(store, OtlpSettings(sink, traceSampleRatio: 1));
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        // An event through this instance: it reads alice's recent events from then on, so the read's span exists
        // (a shopper with nothing newer than the model costs no storage call, and so no span).
        var view = $$"""[{"eventId":"telemetry-1","userId":"alice","itemId":"K1","type":"view","market":"DE","timestamp":"{{DateTimeOffset.UtcNow:O}}"}]""";
        Assert.True((await handler.Client.PostAsync("/api/events", new StringContent(view, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3");

        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (sink.Seen("traces", "reco.strategy") && sink.Seen("traces", "read recent events") && sink.Seen("metrics", "reco.rank.duration") && sink.Seen("metrics", "reco.impressions.queue_depth")) break;
        Assert.True(sink.Seen("traces", "reco.strategy"), "no span tagged reco.strategy was exported");
        Assert.True(sink.Seen("traces", "read recent events"), "the recent-events span was not exported");
        Assert.True(sink.Seen("metrics", "reco.rank.duration"), "reco.rank.duration was not exported");
        Assert.True(sink.Seen("metrics", "reco.impressions.queue_depth"), "the impression queue depth was not exported");
        Assert.True(sink.Seen("metrics", "http.server.request.duration"), "ASP.NET Core's request duration was not exported");
        Assert.True(sink.Seen("metrics", "dotnet.process.memory.working_set"), "the runtime's memory metrics were not exported");
    }

    [Fact]
    public async Task With_a_trace_sample_ratio_of_zero_no_span_is_exported_but_every_request_is_still_measured()
    {
        await using var sink = await Sink.StartAsync();
        var store = await PublishedStoreAsync();
        await using var handler = await RunningHandler.StartAsync(store, OtlpSettings(sink, traceSampleRatio: 0));
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        for (int i = 0; i < 20; i++) await GetJsonAsync(handler, "/api/popular?market=DE&count=3");

        // The request duration histogram carries the strategy tag of the ranked answers: once it is exported, so would
        // the spans of the same requests have been (their batches go out every 200 ms, metrics every 500 ms).
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline && !sink.Seen("metrics", "popularity"); await Task.Delay(200)) { }
        await Task.Delay(1000);
        Assert.True(sink.Seen("metrics", "http.server.request.duration") && sink.Seen("metrics", "popularity"), "the requests' duration, tagged with their strategy, was not exported");
        Assert.DoesNotContain(sink.Bodies("traces"), b => b.Contains("reco.strategy", StringComparison.Ordinal) || b.Contains("/api/popular", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_application_insights_connection_string_sampled_spans_reach_its_ingestion_endpoint_with_their_sample_rate()
    {
        await using var sink = await Sink.StartAsync();
        var store = await PublishedStoreAsync();
        var settings = Settings;
        settings[TelemetryOptions.ApplicationInsightsKey] = sink.ApplicationInsights;
        settings[TelemetryOptions.TraceSampleRatioKey] = "0.5";
        await using var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        // Spans go out in batches every few seconds; on a loaded machine a batch can take longer, so requests keep coming
        // until one arrives (a minute at most; half of them are traced).
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !sink.Seen("track", "reco.strategy"); await Task.Delay(500))
            await GetJsonAsync(handler, "/api/popular?market=DE&count=3");
        var request = Assert.Single(sink.Bodies("track").SelectMany(b => b.Split('\n')).Where(line => line.Contains("reco.strategy", StringComparison.Ordinal)).Take(1));
        Assert.Contains("popularity", request, StringComparison.Ordinal);
        // Application Insights counts each kept request as 100 / 50 = 2.
        Assert.True(request.Contains("\"sampleRate\":50", StringComparison.Ordinal), request);
    }

    [Theory]
    [InlineData(TelemetryOptions.OtlpEndpointKey, "collector:4317")]
    [InlineData(TelemetryOptions.TraceSampleRatioKey, "1.5")]
    [InlineData(TelemetryOptions.TraceSampleRatioKey, "ten percent")]
    public async Task A_telemetry_setting_it_cannot_use_stops_the_start_naming_the_setting(string key, string value)
    {
        var store = TestStorage.NewStore();
        var settings = Settings;
        settings[TelemetryOptions.OtlpEndpointKey] = "http://127.0.0.1:4318";
        settings[key] = value;
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningHandler.StartAsync(store, settings));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_run_is_exported_over_otlp_and_to_application_insights()
    {
        await using var sink = await Sink.StartAsync();
        var work = Directory.CreateTempSubdirectory("reco-job-telemetry-").FullName;
        try
        {
            var csv = Path.Combine(work, "orders.csv");
            await File.WriteAllLinesAsync(csv, ["user,item", "u1,A1", "u1,A2", "u2,A1"]);
            var environment = new Dictionary<string, string>
            {
                [TelemetryOptions.OtlpEndpointKey] = sink.Address,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                [TelemetryOptions.ApplicationInsightsKey] = sink.ApplicationInsights,
            };
            await using var job = RecoScript.Start(environment, "jobs", "import-csv", "--input", csv, "--user", "user", "--item", "item", "--store", "dir:" + Path.Combine(work, "store"));
            Assert.Equal(0, await job.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            // The providers flush when the job ends; Application Insights' exporter may still be on its way.
            for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline && !sink.Seen("track", "import-csv"); await Task.Delay(200)) { }
            Assert.True(sink.Seen("traces", "import-csv"), $"the job's span did not reach the OTLP collector; it received {string.Join(", ", sink.Bodies("traces").Concat(sink.Bodies("metrics")).Select(b => b.Length))} bytes; the job said: {job.Output}");
            Assert.True(sink.Seen("metrics", "reco.job.duration"), "the job's duration did not reach the OTLP collector");
            Assert.True(sink.Seen("track", "import-csv"), $"the job's span did not reach Application Insights; the job said: {job.Output}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_job_with_a_trace_sample_ratio_it_cannot_use_exits_2_naming_the_setting()
    {
        var environment = new Dictionary<string, string> { [TelemetryOptions.TraceSampleRatioKey] = "-1" };
        // A directory store starts no azurite; the job stops before it reads its input.
        await using var job = RecoScript.Start(environment, "jobs", "import-csv", "--input", "orders.csv", "--user", "user", "--item", "item", "--store", "dir:" + Path.Combine(Path.GetTempPath(), "reco-unused-store"));
        Assert.Equal(2, await job.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(TelemetryOptions.TraceSampleRatioKey, job.Output, StringComparison.Ordinal);
    }
}
