namespace ServerlessReco.Functions.Feedback;

// Bound under the names deployments use (app settings in Azure, environment variables locally; README.md and
// infra/main.bicep) and checked at start by Edge/HandlerOptionsValidator.

/// <summary>The impression log: how much may wait in memory and for how long.</summary>
public sealed class FeedbackOptions
{
    public const string ImpressionsKey = "RECO_IMPRESSIONS";
    public const string FlushSecondsKey = "RECO_IMPRESSION_FLUSH_SECONDS";
    public const string QueueCapacityKey = "RECO_IMPRESSION_QUEUE_CAPACITY";

    /// <summary>"off" records no impressions (answers still carry their recommendation id).</summary>
    [ConfigurationKeyName(ImpressionsKey)]
    public string Impressions { get; set; } = "on";

    /// <summary>
    /// How often queued impressions are written: what an instance that dies loses at most (with the queue's
    /// capacity as the other bound). Shorter writes more, smaller files.
    /// </summary>
    [ConfigurationKeyName(FlushSecondsKey)]
    public double FlushSeconds { get; set; } = 5;

    /// <summary>Impressions held in memory at most; beyond it new ones are dropped and counted, never waited for.</summary>
    [ConfigurationKeyName(QueueCapacityKey)]
    public int QueueCapacity { get; set; } = 50_000;

    public bool RecordImpressions => Impressions == "on";
    public TimeSpan FlushInterval => TimeSpan.FromSeconds(FlushSeconds);
}
