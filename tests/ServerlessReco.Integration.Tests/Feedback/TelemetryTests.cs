using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ServerlessReco.Functions.Edge;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Feedback;

/// <summary>What the handler exports over OTLP, received by a collector stand-in on a real socket.</summary>
public class TelemetryTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_spans_and_metrics_reach_the_collector_tagged_with_strategy_and_version()
    {
        var received = new ConcurrentDictionary<string, ConcurrentQueue<byte[]>>();
        var sink = WebApplication.CreateSlimBuilder();
        sink.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = sink.Build();
        collector.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.GetOrAdd(signal, _ => new()).Enqueue(body.ToArray());
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var store = await PublishedStoreAsync();
        var settings = Settings;
        settings[TelemetryOptions.OtlpEndpointKey] = endpoint;
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        await using var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        // An event through this instance: it reads alice's recent events from then on, so the read's span exists
        // (a shopper with nothing newer than the model costs no storage call, and so no span).
        var view = $$"""[{"eventId":"telemetry-1","userId":"alice","itemId":"K1","type":"view","market":"DE","timestamp":"{{DateTimeOffset.UtcNow:O}}"}]""";
        Assert.True((await handler.Client.PostAsync("/api/events", new StringContent(view, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3");

        bool Seen(string signal, string text) => received.TryGetValue(signal, out var bodies) && bodies.Any(b => Encoding.UTF8.GetString(b).Contains(text, StringComparison.Ordinal));
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (Seen("traces", "reco.strategy") && Seen("metrics", "reco.rank.duration") && Seen("metrics", "reco.impressions.queue_depth")) break;
        Assert.True(Seen("traces", "reco.strategy"), "no span tagged reco.strategy was exported");
        Assert.True(Seen("traces", "read recent events"), "the recent-events span was not exported");
        Assert.True(Seen("metrics", "reco.rank.duration"), "reco.rank.duration was not exported");
        Assert.True(Seen("metrics", "reco.impressions.queue_depth"), "the impression queue depth was not exported");
        Assert.True(Seen("metrics", "http.server.request.duration"), "ASP.NET Core's request duration was not exported");
    }

    [Fact]
    public async Task With_an_application_insights_connection_string_telemetry_reaches_its_ingestion_endpoint()
    {
        var received = new ConcurrentQueue<string>();
        var sink = WebApplication.CreateSlimBuilder();
        sink.WebHost.UseUrls("http://127.0.0.1:0");
        await using var ingestion = sink.Build();
        ingestion.MapPost("/v2.1/track", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            var stream = request.Headers.ContentEncoding == "gzip" ? new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress) : request.Body;
            await stream.CopyToAsync(body);
            received.Enqueue(Encoding.UTF8.GetString(body.ToArray()));
            return Results.Json(new { itemsReceived = 1, itemsAccepted = 1, errors = Array.Empty<object>() });
        });
        await ingestion.StartAsync();
        var endpoint = ingestion.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var store = await PublishedStoreAsync();
        var settings = Settings;
        settings[TelemetryOptions.ApplicationInsightsKey] = $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={endpoint}/";
        await using var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        // Spans go out in batches every few seconds; on a loaded machine a batch can take longer, so requests keep coming
        // until one arrives (a minute at most).
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !received.Any(b => b.Contains("reco.strategy", StringComparison.Ordinal)); await Task.Delay(500))
            await GetJsonAsync(handler, "/api/popular?market=DE&count=3");
        Assert.Contains(received, b => b.Contains("reco.strategy", StringComparison.Ordinal) && b.Contains("popularity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_otlp_endpoint_that_is_not_an_http_address_stops_the_start_naming_the_setting()
    {
        var store = TestStorage.NewStore();
        var settings = Settings;
        settings[TelemetryOptions.OtlpEndpointKey] = "collector:4317";
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RunningHandler.StartAsync(store, settings));
        Assert.Contains(TelemetryOptions.OtlpEndpointKey, error.Message);
    }
}
