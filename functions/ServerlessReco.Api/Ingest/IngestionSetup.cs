using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Ingest;

/// <summary>
/// One event as a storefront sends it, for the OpenAPI document: the handler reads events as raw JSON, because a
/// malformed event is dead-lettered with its exact bytes instead of failing the batch (<see cref="EventValidator"/>).
/// </summary>
public sealed record EventInput(
    [property: Description("Unique per event; redelivery with the same id overwrites itself")] string EventId,
    [property: Description("The shop's raw user id; pseudonymised on arrival")] string UserId,
    string ItemId,
    [property: Description("view, click, add_to_cart, purchase or rating")] string Type,
    [property: Description("ISO 8601 with offset, e.g. 2024-05-01T12:30:00+02:00")] DateTimeOffset Timestamp,
    [property: Description("Defaults to 1")] double? Quantity = null,
    [property: Description("Price paid, or the rating (0-5) for type rating")] double? Value = null,
    [property: Description("ISO 3166-1 alpha-2")] string? Market = null,
    [property: Description("BCP 47")] string? Locale = null,
    string? SessionId = null);

/// <summary>Request bodies that only the OpenAPI document needs typed (the handlers validate raw JSON).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(List<EventInput>))]
[JsonSerializable(typeof(ItemPatch))]
public partial class IngestRequestJsonContext : JsonSerializerContext;

public static class IngestionSetup
{
    public static IServiceCollection AddIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>, HandlerOptionsValidator>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, IngestJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, DomainJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, IngestRequestJsonContext.Default);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StorageCalls>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            return new IngestPipeline(
                sp.GetRequiredService<DataStore>(),
                new EventValidator(options.Validation, sp.GetRequiredService<Pseudonymizer>()),
                sp.GetRequiredService<TimeProvider>(),
                new GroupCommitLimits(),
                options.StorageTimeout,
                // Serving on this instance knows at once who has new events; other instances read the activity feed.
                sp.GetRequiredService<ServerlessReco.Functions.Serve.ActiveShoppers>().Record);
        });
        services.AddSingleton(sp => new CatalogWriter(sp.GetRequiredService<DataStore>().Catalog, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new UserErasure(sp.GetRequiredService<DataStore>(), sp.GetRequiredService<Pseudonymizer>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>The write side under /api, behind a function key; and the Event Hubs trigger the host posts to.</summary>
    public static RouteGroupBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithAuthLevel(AuthLevel.Function).WithTags("Ingestion");
        api.MapPost("/events", EventEndpoints.PostEventsAsync).AcceptsJsonBody<List<EventInput>>().ProducesProblems(400, 413, 415, 503);
        api.MapPut("/items", CatalogEndpoints.PutItemsAsync).AcceptsJsonBody<List<CatalogItem>>().ProducesProblems(400, 413, 415, 503);
        // Catch-all: an item id may hold '/', sent raw or as %2F.
        api.MapGet("/items/{*itemId}", CatalogEndpoints.GetItemAsync).ProducesProblems(400, 404, 503);
        api.MapPatch("/items/{*itemId}", CatalogEndpoints.PatchItemAsync).AcceptsJsonBody<ItemPatch>().ProducesProblems(400, 404, 413, 415, 503);
        api.MapDelete("/users/{*userId}", UserEndpoints.DeleteUserAsync).ProducesProblems(400, 503);
        // The Functions host posts each trigger invocation to /{function name}; it is no part of the public API.
        app.MapPost("/IngestEvents", EventEndpoints.IngestEventHubAsync).ExcludeFromDescription();
        return api;
    }
}
