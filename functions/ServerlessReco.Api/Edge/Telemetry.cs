using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Feedback;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Telemetry;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// The handler's own spans and instruments (ActivitySource and Meter "ServerlessReco.Handler") beside ASP.NET Core's
/// (http.server.request.duration, tagged here with the strategy, model version and arm of each ranked answer).
/// Without a listener every instrument is a no-op, so they stay in the code with telemetry off.
/// </summary>
public sealed class HandlerTelemetry
{
    public const string Name = "ServerlessReco.Handler";
    public static readonly ActivitySource Source = new(Name);

    private readonly Histogram<double> _storage;
    private readonly Histogram<double> _rank;
    private readonly Counter<long> _ingested;

    public HandlerTelemetry(IMeterFactory meters, ImpressionRecorder impressions, ModelWatcher models)
    {
        var meter = meters.Create(Name);
        _storage = meter.CreateHistogram<double>("reco.storage.duration", "ms", "Storage calls made while answering a request, by call and outcome");
        _rank = meter.CreateHistogram<double>("reco.rank.duration", "ms", "Ranking (fold-in, scoring, filters, diversification) by endpoint and strategy");
        _ingested = meter.CreateCounter<long>("reco.ingest.events", "{event}", "Events ingested, by source and outcome (accepted, duplicate, rejected)");
        meter.CreateObservableGauge("reco.impressions.queue_depth", () => impressions.QueueDepth, "{impression}", "Impressions waiting in memory to be written");
        meter.CreateObservableCounter("reco.impressions.dropped", () => impressions.Dropped, "{impression}", "Impressions dropped because the queue was full");
        meter.CreateObservableCounter("reco.impressions.written", () => impressions.Written, "{impression}", "Impressions written to storage");
        meter.CreateObservableGauge("reco.model.served", () => Served(models), "{version}", "1 for each model version serving, tagged with its arm");
    }

    private static IEnumerable<Measurement<int>> Served(ModelWatcher models)
    {
        if (models.Served is not { } served) yield break;
        yield return new Measurement<int>(1, new("reco.model.version", served.Control.Version), new("reco.arm", Arms.Name(Arm.Control)));
        if (served.Challenger is { } challenger) yield return new Measurement<int>(1, new("reco.model.version", challenger.Version), new("reco.arm", Arms.Name(Arm.Challenger)));
    }

    public void Storage(string call, bool succeeded, double milliseconds) =>
        _storage.Record(milliseconds, new("reco.storage.call", call), new("reco.outcome", succeeded ? "ok" : "failed"));

    public void Ranked(string endpoint, string strategy, double milliseconds) =>
        _rank.Record(milliseconds, new("reco.endpoint", endpoint), new("reco.strategy", strategy));

    public void Ingested(string source, int accepted, int duplicates, int rejected)
    {
        if (accepted > 0) _ingested.Add(accepted, new("reco.source", source), new("reco.outcome", "accepted"));
        if (duplicates > 0) _ingested.Add(duplicates, new("reco.source", source), new("reco.outcome", "duplicate"));
        if (rejected > 0) _ingested.Add(rejected, new("reco.source", source), new("reco.outcome", "rejected"));
    }

    /// <summary>Tags the request's duration metric and span with what answered it: latency by endpoint (route) and strategy.</summary>
    public static void TagAnswer(HttpContext context, string strategy, string modelVersion, string arm)
    {
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
        {
            tags.Tags.Add(new("reco.strategy", strategy));
            tags.Tags.Add(new("reco.model.version", modelVersion));
            tags.Tags.Add(new("reco.arm", arm));
        }
        // Only a span that is kept: most are sampled out, and their tags would be stored for nothing.
        if (Activity.Current is { IsAllDataRequested: true } span)
            span.SetTag("reco.strategy", strategy).SetTag("reco.model.version", modelVersion).SetTag("reco.arm", arm);
    }

    /// <summary>Exporters as <see cref="TelemetryOptions"/> say; every request's latency is measured, a sample of them traced.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A telemetry setting holds a value it cannot take.</exception>
    public static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<HandlerTelemetry>();
        var options = new TelemetryOptions();
        configuration.Bind(options);
        if (options.Errors().ToList() is { Count: > 0 } errors)
            throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(TelemetryOptions), typeof(TelemetryOptions), errors);
        if (!options.Enabled) return;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("reco-handler"))
            // ASP.NET Core's own source gives one span per request, with the route.
            .WithTracing(t => t.AddSource(Name, "Microsoft.AspNetCore").SampleAndExport(options, options.TraceSampleRatio))
            // System.Runtime: the runtime's own GC, memory and thread-pool instruments, so an instance's memory over days is on record.
            .WithMetrics(m => m.AddMeter(Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime").Export(options));
    }
}
