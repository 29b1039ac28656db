using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Embed;
using ServerlessReco.Feedback;
using ServerlessReco.Ingest;
using ServerlessReco.Publish;
using ServerlessReco.Train;

namespace ServerlessReco.Functions.Operator;

/// <param name="InModel">Whether the served model has a popularity row for the market (else popular items fall back to global).</param>
public sealed record StorefrontMarket(string Code, string[] Languages, string Currency, bool InModel);

/// <summary>A real shopper of the demo data (RECO_DEMO_USERS), offered by the storefront preview.</summary>
public sealed record DemoShopper(string UserId, string Market);

public sealed record StorefrontSetup(IReadOnlyList<StorefrontMarket> Markets, IReadOnlyList<DemoShopper> Shoppers);

public sealed record ShopperTokenRequest(string? UserId = null, double? Hours = null);

public sealed record ShopperTokenResponse(string UserId, string Token, DateTimeOffset ExpiresAt);

/// <summary>One version's manifest without its file list, and whether it is the one this instance serves.</summary>
/// <param name="ServingAsChallenger">This instance serves the version to the experiment's share of shoppers.</param>
/// <param name="ChallengerIn">The published experiment naming this version its challenger (id, share); set before it loads.</param>
public sealed record ModelVersionInfo(
    string Version, bool Serving, DateTimeOffset CreatedAt, DateTimeOffset TrainedUntil, string? BaseVersion,
    Dictionary<string, long> Counts, Dictionary<string, double> Metrics, TrainingParameters Training, EncoderIdentity? Encoder,
    OfflineEvaluation? Evaluation, bool ServingAsChallenger, ModelExperiment? ChallengerIn);

/// <param name="Published">What models/current.json names; it can differ from <paramref name="Serving"/> while a new version loads or after a refusal.</param>
/// <param name="Versions">Newest first, at most <see cref="OperatorEndpoints.MaxVersions"/>.</param>
/// <param name="Unreadable">Versions whose manifest this server cannot read (an older format, or damaged).</param>
/// <param name="ServingChallenger">The experiment's challenger this instance serves beside <paramref name="Serving"/>; null when none.</param>
public sealed record ModelsResponse(
    string? Serving, CurrentModel? Published, string? LastModelError, IReadOnlyList<ModelVersionInfo> Versions, IReadOnlyList<string> Unreadable,
    string? ServingChallenger);

/// <param name="Report">reports/online/latest.json; null until `online-report` has run once.</param>
public sealed record OnlineResponse(OnlineReport? Report);

public sealed record IngestionMinuteCounts(DateTimeOffset At, int Accepted, int Duplicates, int Rejected, Dictionary<string, int> RejectedByField);

public sealed record DeadLettersOnDay(DateOnly Day, int Count);

/// <param name="Raw">The stored input, cut to <see cref="OperatorEndpoints.MaxRawShown"/> characters.</param>
public sealed record RecentDeadLetter(string Path, DateTimeOffset ReceivedAt, DeadLetterSource Source, Dictionary<string, string[]> Reasons, string Raw, string RawEncoding);

/// <param name="CountedSince">When this instance started counting <paramref name="Minutes"/>.</param>
/// <param name="DeadLettersPerDay">Every instance's rejected events kept in deadletter/events/, per day received, newest first.</param>
public sealed record IngestionResponse(
    DateTimeOffset CountedSince, IReadOnlyList<IngestionMinuteCounts> Minutes, IReadOnlyList<DeadLettersOnDay> DeadLettersPerDay,
    IReadOnlyList<RecentDeadLetter> RecentDeadLetters);

/// <param name="Items">Items holding a title in the language (source text or translation).</param>
/// <param name="Missing">Items sold in a market speaking the language whose title is neither in it nor translated to it.</param>
public sealed record CatalogLanguage(string Language, int Items, int Translated, int Missing);

/// <param name="WithoutTranslations">Items missing a translation into a language of a market they are sold in.</param>
/// <param name="ExamplesWithoutTranslations">Up to <see cref="OperatorEndpoints.MaxExamples"/> such ids.</param>
public sealed record CatalogResponse(
    int Items, int InStock, int InModel, DateTimeOffset? LoadedAt, IReadOnlyList<CatalogLanguage> Languages,
    int WithoutTranslations, IReadOnlyList<string> ExamplesWithoutTranslations);

/// <summary>Source-generated JSON for the console's answers, so the handler publishes with Native AOT.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(StorefrontSetup))]
[JsonSerializable(typeof(ShopperTokenRequest))]
[JsonSerializable(typeof(ShopperTokenResponse))]
[JsonSerializable(typeof(ModelsResponse))]
[JsonSerializable(typeof(IngestionResponse))]
[JsonSerializable(typeof(CatalogResponse))]
[JsonSerializable(typeof(OnlineResponse))]
public partial class OperatorJsonContext : JsonSerializerContext;
