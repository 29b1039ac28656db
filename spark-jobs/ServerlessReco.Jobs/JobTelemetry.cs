using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ServerlessReco.Jobs;

/// <summary>
/// One span per job run and a duration histogram by job and outcome, exported over OTLP when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the other OTEL_* variables itself); nothing otherwise.
/// Disposing the providers at the end of the run flushes what is buffered.
/// </summary>
public sealed class JobTelemetry : IDisposable
{
    public const string Name = "ServerlessReco.Jobs";
    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("reco.job.duration", "s", "Job run time by job and outcome");

    private readonly TracerProvider? _tracing;
    private readonly MeterProvider? _metrics;

    private JobTelemetry(TracerProvider? tracing, MeterProvider? metrics) => (_tracing, _metrics) = (tracing, metrics);

    public static JobTelemetry Start()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) return new JobTelemetry(null, null);
        var resource = ResourceBuilder.CreateDefault().AddService("reco-jobs");
        return new JobTelemetry(
            Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(Name).AddOtlpExporter().Build(),
            Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(Name).AddOtlpExporter().Build());
    }

    public static void Record(string job, string outcome, TimeSpan elapsed) =>
        Duration.Record(elapsed.TotalSeconds, new("reco.job", job), new("reco.outcome", outcome));

    public void Dispose()
    {
        _tracing?.Dispose();
        _metrics?.Dispose();
    }
}
