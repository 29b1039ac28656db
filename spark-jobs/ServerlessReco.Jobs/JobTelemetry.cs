using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ServerlessReco.Telemetry;

namespace ServerlessReco.Jobs;

/// <summary>
/// One span per job run and a duration histogram by job and outcome, exported as <see cref="TelemetryOptions"/> say
/// (OTLP, Azure Monitor, both or nothing), read from the environment. Every run is traced: runs are few and each
/// matters, so the handler's sample ratio does not apply. Disposing the providers at the end of the run flushes what
/// is buffered.
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

    /// <exception cref="ArgumentException">A telemetry setting holds a value it cannot take; the message names it.</exception>
    public static JobTelemetry Start()
    {
        var options = TelemetryOptions.FromEnvironment();
        if (!options.Enabled) return new JobTelemetry(null, null);
        var resource = ResourceBuilder.CreateDefault().AddService("reco-jobs");
        return new JobTelemetry(
            Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(Name).SampleAndExport(options, ratio: 1).Build(),
            Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(Name).Export(options).Build());
    }

    public static void Record(string job, string outcome, TimeSpan elapsed) =>
        Duration.Record(elapsed.TotalSeconds, new("reco.job", job), new("reco.outcome", outcome));

    public void Dispose()
    {
        _tracing?.Dispose();
        _metrics?.Dispose();
    }
}
