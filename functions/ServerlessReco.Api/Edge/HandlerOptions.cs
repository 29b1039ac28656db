using System.Globalization;
using Microsoft.Extensions.Options;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Feedback;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Functions.Search;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Functions.Translate;
using ServerlessReco.Rank;
using ServerlessReco.Storage;
using ServerlessReco.Translate;

namespace ServerlessReco.Functions.Edge;

// Every setting is bound under the name deployments already use (app settings in Azure, environment variables
// locally; README.md and infra/main.bicep), so a key is written once: in the attribute and the message naming it.

/// <summary>Storage and the pseudonymisation key: needed before the host is built, for the model prefetch.</summary>
public sealed class StorageOptions
{
    [ConfigurationKeyName(DataStore.ConnectionStringVariable)]
    public string? ConnectionString { get; set; }

    [ConfigurationKeyName(DataStore.WebJobsStorageVariable)]
    public string? WebJobsStorage { get; set; }

    [ConfigurationKeyName(DataStore.PrefixVariable)]
    public string Prefix { get; set; } = "";

    [ConfigurationKeyName(Pseudonymizer.KeyVariable)]
    public string? PseudonymKey { get; set; }

    public string? EffectiveConnectionString => DataStore.ConfiguredConnection(ConnectionString, WebJobsStorage);
}

/// <summary>
/// The start-up checks: each failure is one sentence naming the setting and the value it had, which Program.cs
/// prints as the handler's last line.
/// </summary>
public sealed class HandlerOptionsValidator :
    IValidateOptions<StorageOptions>, IValidateOptions<ServeOptions>, IValidateOptions<FeedbackOptions>, IValidateOptions<IngestOptions>, IValidateOptions<TranslatorOptions>, IValidateOptions<SearchOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (options.EffectiveConnectionString is null)
            failures.Add($"{DataStore.ConnectionStringVariable} (or {DataStore.WebJobsStorageVariable}) must be set to a storage connection string");
        if (!DataStore.IsValidPrefix(options.Prefix, out var prefixRule))
            failures.Add($"{DataStore.PrefixVariable} {prefixRule}, not '{options.Prefix}'");
        if (options.PseudonymKey is { Length: > 0 and < Pseudonymizer.MinKeyLength })
            failures.Add($"{Pseudonymizer.KeyVariable} must be at least {Pseudonymizer.MinKeyLength} characters, not {options.PseudonymKey.Length}");
        return Result(failures);
    }

    public ValidateOptionsResult Validate(string? name, ServeOptions options)
    {
        var failures = new List<string>();
        Positive(failures, ServeOptions.ModelPollSecondsKey, options.ModelPollSeconds);
        Positive(failures, ServeOptions.CatalogPollSecondsKey, options.CatalogPollSeconds);
        Positive(failures, ServeOptions.ActivityPollSecondsKey, options.ActivityPollSeconds);
        Positive(failures, ServeOptions.CatalogReconcileMinutesKey, options.CatalogReconcileMinutes);
        Positive(failures, ServeOptions.CatalogFeedRetentionHoursKey, options.CatalogFeedRetentionHours);
        if (options.SimilarContentWeight is not (>= 0 and <= 1))
            failures.Add($"{ServeOptions.SimilarContentWeightKey} must be a number from 0 to 1, not '{Text(options.SimilarContentWeight)}'");
        if (!ScorerChains.TryParse(options.StrategyName, out _))
            failures.Add($"{ServeOptions.StrategyKey} must be one of {string.Join(", ", ScorerChains.Names)}, not '{options.StrategyName}'");
        if (options.SequenceBlendWeight is not (>= 0 and <= 1))
            failures.Add($"{ServeOptions.SequenceBlendWeightKey} must be a number from 0 to 1, not '{Text(options.SequenceBlendWeight)}'");
        if (options.ShopperTokenSecret is { Length: > 0 and < ShopperTokens.MinSecretLength })
            failures.Add($"{ShopperTokens.SecretVariable} must be at least {ShopperTokens.MinSecretLength} characters, not {options.ShopperTokenSecret.Length}");
        return Result(failures);
    }

    public ValidateOptionsResult Validate(string? name, FeedbackOptions options)
    {
        var failures = new List<string>();
        if (options.Impressions is not ("on" or "off"))
            failures.Add($"{FeedbackOptions.ImpressionsKey} must be on or off, not '{options.Impressions}'");
        Positive(failures, FeedbackOptions.FlushSecondsKey, options.FlushSeconds);
        if (options.QueueCapacity is < 1 or > MaxNumber)
            failures.Add($"{FeedbackOptions.QueueCapacityKey} must be a whole number from 1 to {MaxNumber}, not '{options.QueueCapacity}'");
        return Result(failures);
    }

    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = new List<string>();
        Positive(failures, IngestOptions.MaxEventAgeDaysKey, options.MaxEventAgeDays);
        Positive(failures, IngestOptions.MaxClockSkewSecondsKey, options.MaxClockSkewSeconds);
        Positive(failures, IngestOptions.StorageTimeoutSecondsKey, options.StorageTimeoutSeconds);
        Positive(failures, IngestOptions.WriteBudgetSecondsKey, options.WriteBudgetSeconds);
        // A post waits for a flush that the storage timeout ends anyway: a longer budget would never run out. Compared
        // only once both are valid, so that one wrong value is one line.
        if (failures.Count == 0 && options.WriteBudgetSeconds > options.StorageTimeoutSeconds)
            failures.Add($"{IngestOptions.WriteBudgetSecondsKey} must be at most {IngestOptions.StorageTimeoutSecondsKey} ({Text(options.StorageTimeoutSeconds)}), not '{Text(options.WriteBudgetSeconds)}'");
        return Result(failures);
    }

    public ValidateOptionsResult Validate(string? name, TranslatorOptions options)
    {
        // A missing key switches translation off on purpose; a key with an unusable endpoint is a mistake.
        if (string.IsNullOrWhiteSpace(options.Key) || options.Settings(out var reason) is not null) return ValidateOptionsResult.Success;
        return ValidateOptionsResult.Fail(reason!);
    }

    public ValidateOptionsResult Validate(string? name, SearchOptions options)
    {
        // Checked here so that a typo in the path ends the start, not the first search; the model loads on first use.
        if (options.EncoderPath is not { } directory) return ValidateOptionsResult.Success;
        if (!File.Exists(Path.Combine(directory, Embed.TextEncoder.ModelFileName)))
            return ValidateOptionsResult.Fail($"{SearchOptions.EncoderDirectoryKey} must be a folder holding {Embed.TextEncoder.ModelFileName} (./reco jobs install-encoder --output DIR), not '{options.EncoderDirectory}'");
        return ValidateOptionsResult.Success;
    }

    private const int MaxNumber = 1_000_000;

    private static void Positive(List<string> failures, string key, double value)
    {
        // The cap keeps every interval inside TimeSpan (hours included); anything near it is a typo anyway.
        if (value is not (> 0 and <= MaxNumber)) failures.Add($"{key} must be a positive number up to {MaxNumber}, not '{Text(value)}'");
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
