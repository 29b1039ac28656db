using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ServerlessReco.Telemetry;

/// <summary>OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is; both may be.</summary>
public static class TelemetryExporters
{
    /// <summary>
    /// Keeps <paramref name="ratio"/> of traces, chosen by trace id, so every span of a trace gets the same answer and a
    /// trace is kept or dropped whole; Application Insights is told the ratio so it counts each kept request as 1/ratio.
    /// The caller's sampled flag is not followed: the Functions host samples on its own schedule, and following it
    /// would make this instance's share of traces whatever the host's is. The Azure Monitor exporter installs its own
    /// sampler over this one, by default at most 5 traces a second, which drops a job's single span (the allowance
    /// starts empty); it is told the same ratio instead, so OTLP and Application Insights see the same traces.
    /// </summary>
    public static TracerProviderBuilder SampleAndExport(this TracerProviderBuilder tracing, TelemetryOptions options, double ratio)
    {
        tracing.SetSampler(new TraceIdRatioBasedSampler(ratio));
        if (options.Otlp) tracing.AddOtlpExporter();
        if (options.AzureMonitor)
        {
            tracing.AddAzureMonitorTraceExporter(o =>
            {
                o.ConnectionString = options.ApplicationInsights;
                o.TracesPerSecond = null;
                o.SamplingRatio = (float)ratio;
            });
        }
        return tracing;
    }

    public static MeterProviderBuilder Export(this MeterProviderBuilder metrics, TelemetryOptions options)
    {
        if (options.Otlp) metrics.AddOtlpExporter();
        if (options.AzureMonitor) metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = options.ApplicationInsights);
        return metrics;
    }
}
