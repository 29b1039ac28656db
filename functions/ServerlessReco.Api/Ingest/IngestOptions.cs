using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Ingest;

// Bound under the names deployments already use (app settings in Azure, environment variables locally;
// README.md and infra/main.bicep) and checked at start by Edge/HandlerOptionsValidator.

/// <summary>Ingestion: which event times are accepted, and how long a request may wait on storage.</summary>
public sealed class IngestOptions
{
    public const string MaxEventAgeDaysKey = "RECO_INGEST_MAX_EVENT_AGE_DAYS";
    public const string MaxClockSkewSecondsKey = "RECO_INGEST_MAX_CLOCK_SKEW_SECONDS";
    public const string StorageTimeoutSecondsKey = "RECO_INGEST_STORAGE_TIMEOUT_SECONDS";

    [ConfigurationKeyName(MaxEventAgeDaysKey)]
    public double MaxEventAgeDays { get; set; } = new EventValidationOptions().MaxAge.TotalDays;

    [ConfigurationKeyName(MaxClockSkewSecondsKey)]
    public double MaxClockSkewSeconds { get; set; } = new EventValidationOptions().MaxClockSkew.TotalSeconds;

    /// <summary>
    /// How long one request may spend on storage, retries included. The answer must come before the Functions
    /// host's own timeout, so a storage outage turns into a clean non-2xx (and a host retry) rather than a hang.
    /// </summary>
    [ConfigurationKeyName(StorageTimeoutSecondsKey)]
    public double StorageTimeoutSeconds { get; set; } = 60;

    public EventValidationOptions Validation => new()
    {
        MaxAge = TimeSpan.FromDays(MaxEventAgeDays),
        MaxClockSkew = TimeSpan.FromSeconds(MaxClockSkewSeconds),
    };

    public TimeSpan StorageTimeout => TimeSpan.FromSeconds(StorageTimeoutSeconds);
}
