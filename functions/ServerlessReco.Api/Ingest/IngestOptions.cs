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
    public const string WriteBudgetSecondsKey = "RECO_INGEST_WRITE_BUDGET_SECONDS";

    [ConfigurationKeyName(MaxEventAgeDaysKey)]
    public double MaxEventAgeDays { get; set; } = new EventValidationOptions().MaxAge.TotalDays;

    [ConfigurationKeyName(MaxClockSkewSecondsKey)]
    public double MaxClockSkewSeconds { get; set; } = new EventValidationOptions().MaxClockSkew.TotalSeconds;

    /// <summary>
    /// How long a catalogue write, an erasure, or one coalesced flush of events may spend on storage, retries
    /// included. The answer must come before the Functions host's own timeout, so a storage outage turns into a clean
    /// non-2xx (and a host retry) rather than a hang.
    /// </summary>
    [ConfigurationKeyName(StorageTimeoutSecondsKey)]
    public double StorageTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How long an event post (HTTP or Event Hubs) waits for its events to be stored before it answers 503 with
    /// Retry-After, acknowledging none of them. Storage that accepts connections and never answers holds a call for
    /// two attempt timeouts (20 s) until the breaker opens; the promise is a 503 within 2 s from the first
    /// request of such an outage, and 1.5 s leaves half a second for reading, validating and answering on a loaded
    /// machine. Ordinary writes take far less (a 500-event batch at 8 concurrent clients: p99 under 1 s on the
    /// 2-core test machine, tests/benchmarks/ingest.md), and one that outlasts the budget is not lost work: its
    /// flush goes on under <see cref="StorageTimeoutSeconds"/>, so the sender's retry finds its events stored and
    /// gets "duplicate" for them at once. Every ingestion write is idempotent, so the retry is always safe.
    /// </summary>
    [ConfigurationKeyName(WriteBudgetSecondsKey)]
    public double WriteBudgetSeconds { get; set; } = 1.5;

    public EventValidationOptions Validation => new()
    {
        MaxAge = TimeSpan.FromDays(MaxEventAgeDays),
        MaxClockSkew = TimeSpan.FromSeconds(MaxClockSkewSeconds),
    };

    public TimeSpan StorageTimeout => TimeSpan.FromSeconds(StorageTimeoutSeconds);

    public TimeSpan WriteBudget => TimeSpan.FromSeconds(WriteBudgetSeconds);
}
