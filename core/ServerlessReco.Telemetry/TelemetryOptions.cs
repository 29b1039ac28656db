using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ServerlessReco.Telemetry;

/// <summary>
/// Where telemetry goes (nowhere unless an exporter is set; then OpenTelemetry is not even registered) and what share
/// of requests is traced. The handler binds it from its configuration, the jobs from their environment.
/// </summary>
public sealed class TelemetryOptions
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ApplicationInsightsKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string TraceSampleRatioKey = "RECO_TRACE_SAMPLE_RATIO";

    /// <summary>
    /// One request in ten traced. The latency metrics count every request whatever the ratio, so traces are only
    /// needed as examples, and at a storefront's request rate a tenth is plenty; every request traced is ten times
    /// the volume a collector or Application Insights (billed by volume) takes in. The handler's own cost is small
    /// either way (tests/benchmarks/feedback.md).
    /// </summary>
    public const double DefaultTraceSampleRatio = 0.1;

    /// <summary>The standard OpenTelemetry variable; the exporter also reads OTEL_EXPORTER_OTLP_PROTOCOL and _HEADERS itself.</summary>
    [ConfigurationKeyName(OtlpEndpointKey)]
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>The standard Application Insights variable (infra/main.bicep sets it).</summary>
    [ConfigurationKeyName(ApplicationInsightsKey)]
    public string ApplicationInsights { get; set; } = "";

    /// <summary>The share of traces recorded, 0 to 1, decided by trace id so a trace is kept or dropped whole.</summary>
    [ConfigurationKeyName(TraceSampleRatioKey)]
    public double TraceSampleRatio { get; set; } = DefaultTraceSampleRatio;

    public bool Otlp => !string.IsNullOrWhiteSpace(OtlpEndpoint);

    public bool AzureMonitor => !string.IsNullOrWhiteSpace(ApplicationInsights);

    public bool Enabled => Otlp || AzureMonitor;

    /// <summary>The jobs' settings: they run as plain processes, configured by their environment.</summary>
    /// <exception cref="ArgumentException">A setting holds a value it cannot take; the message names it.</exception>
    public static TelemetryOptions FromEnvironment()
    {
        var options = new TelemetryOptions
        {
            OtlpEndpoint = Environment.GetEnvironmentVariable(OtlpEndpointKey) ?? "",
            ApplicationInsights = Environment.GetEnvironmentVariable(ApplicationInsightsKey) ?? "",
        };
        if (Environment.GetEnvironmentVariable(TraceSampleRatioKey) is { Length: > 0 } ratio)
            options.TraceSampleRatio = double.TryParse(ratio, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
        if (options.Errors().FirstOrDefault() is { } error) throw new ArgumentException(error);
        return options;
    }

    /// <summary>What is wrong with these settings, each message naming its setting; empty when they can be used.</summary>
    public IEnumerable<string> Errors()
    {
        if (Otlp && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            yield return $"{OtlpEndpointKey} must be an http(s) address such as http://127.0.0.1:4318, not '{OtlpEndpoint}'";
        if (!(TraceSampleRatio is >= 0 and <= 1))
            yield return $"{TraceSampleRatioKey} must be a number from 0 (no traces) to 1 (every request), such as {DefaultTraceSampleRatio.ToString(CultureInfo.InvariantCulture)}";
    }
}
