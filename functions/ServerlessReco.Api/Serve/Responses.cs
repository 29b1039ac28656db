using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Rank;

namespace ServerlessReco.Functions.Serve;

public sealed record RecommendedItem(string ItemId, float Score, string Category, LocalizedTitle Title, Reason Reason);

/// <param name="FreshEventsUnavailable">True when the shopper's recent events could not be read (storage down or slow): the answer comes from the model alone.</param>
public sealed record RecommendationsResponse(string ModelVersion, Strategy Strategy, string Market, string Locale, IReadOnlyList<RecommendedItem> Items, bool FreshEventsUnavailable = false);

public sealed record SimilarItemsResponse(string ItemId, string ModelVersion, string Market, string Locale, IReadOnlyList<RecommendedItem> Items);

public sealed record PopularResponse(string ModelVersion, string Market, string Locale, string? Category, IReadOnlyList<RecommendedItem> Items);

/// <param name="ShoppersWithFreshEvents">
/// Shoppers this instance knows to have events newer than the model (<see cref="ActiveShoppers"/>); everyone else's
/// recommendation makes no storage call. Null while it cannot tell, when every recommendation reads the events table.
/// </param>
public sealed record HealthCounts(int Users, int Items, int CatalogueItems, int? ShoppersWithFreshEvents = null);

/// <param name="SearchIndexVersion">The search index in use; null until the first search loads one.</param>
/// <param name="LastSearchError">Why the newest search index (or the query encoder) is not in use, if it is not.</param>
public sealed record HealthResponse(
    string Status, string? ModelVersion, double? ModelAge, DateTimeOffset? TrainedUntil, HealthCounts Counts,
    bool StorageReachable, string? LastModelError, DateTimeOffset? CatalogueLoadedAt,
    string? SearchIndexVersion = null, string? LastSearchError = null);

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
