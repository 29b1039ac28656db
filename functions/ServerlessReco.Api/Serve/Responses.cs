using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Feedback;
using ServerlessReco.Rank;

namespace ServerlessReco.Functions.Serve;

public sealed record RecommendedItem(string ItemId, float Score, string Category, LocalizedTitle Title, Reason Reason);

// Every ranked answer carries RecommendationId, the id the storefront sends back with the shopper's clicks,
// add-to-carts and purchases of its items (attribution), and the version, strategy and experiment arm that produced
// it; Experiment is absent when none runs (the arm is then control).

/// <param name="FreshEventsUnavailable">True when the shopper's recent events could not be read (storage down or slow): the answer comes from the model alone.</param>
public sealed record RecommendationsResponse(
    string RecommendationId, string ModelVersion, Strategy Strategy, Arm Arm, string? Experiment,
    string Market, string Locale, IReadOnlyList<RecommendedItem> Items, bool FreshEventsUnavailable = false);

public sealed record SimilarItemsResponse(
    string RecommendationId, string ItemId, string ModelVersion, Strategy Strategy, Arm Arm, string? Experiment,
    string Market, string Locale, IReadOnlyList<RecommendedItem> Items);

public sealed record PopularResponse(
    string RecommendationId, string ModelVersion, Strategy Strategy, Arm Arm, string? Experiment,
    string Market, string Locale, string? Category, IReadOnlyList<RecommendedItem> Items);

/// <param name="ShoppersWithFreshEvents">
/// Shoppers this instance knows to have events newer than the model (<see cref="ActiveShoppers"/>); everyone else's
/// recommendation makes no storage call. Null while it cannot tell, when every recommendation reads the events table.
/// </param>
public sealed record HealthCounts(int Users, int Items, int CatalogueItems, int? ShoppersWithFreshEvents = null);

/// <param name="Experiment">The running experiment, with the challenger version and share it serves; null when none runs.</param>
/// <param name="SearchIndexVersion">The search index in use; null until the first search loads one.</param>
/// <param name="LastSearchError">Why the newest search index (or the query encoder) is not in use, if it is not.</param>
public sealed record HealthResponse(
    string Status, string? ModelVersion, double? ModelAge, DateTimeOffset? TrainedUntil, HealthCounts Counts,
    bool StorageReachable, string? LastModelError, DateTimeOffset? CatalogueLoadedAt, HealthExperiment? Experiment,
    string? SearchIndexVersion = null, string? LastSearchError = null);

public sealed record HealthExperiment(string Id, string ChallengerVersion, double Share);

/// <summary>
/// Source-generated JSON for every serving response, so the handler publishes with Native AOT. Nullability and
/// constructor parameters are respected so that the OpenAPI schemas say which fields are always there.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RecommendationsResponse))]
[JsonSerializable(typeof(SimilarItemsResponse))]
[JsonSerializable(typeof(PopularResponse))]
[JsonSerializable(typeof(HealthResponse))]
public partial class ServeJsonContext : JsonSerializerContext;
