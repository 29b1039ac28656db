using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Ingest;

/// <summary>Settings of the ingestion side, from app settings / environment.</summary>
public sealed record IngestSettings(EventValidationOptions Validation, TimeSpan StorageTimeout)
{
    public const string MaxEventAgeDaysKey = "RECO_INGEST_MAX_EVENT_AGE_DAYS";
    public const string MaxClockSkewSecondsKey = "RECO_INGEST_MAX_CLOCK_SKEW_SECONDS";
    /// <summary>
    /// How long one request may spend on storage, retries included. The answer must come before the Functions
    /// host's own timeout, so a storage outage turns into a clean non-2xx (and a host retry) rather than a hang.
    /// </summary>
    public const string StorageTimeoutSecondsKey = "RECO_INGEST_STORAGE_TIMEOUT_SECONDS";

    public static IngestSettings From(IConfiguration config) => new(
        new EventValidationOptions
        {
            MaxAge = TimeSpan.FromDays(Number(config, MaxEventAgeDaysKey, 400)),
            MaxClockSkew = TimeSpan.FromSeconds(Number(config, MaxClockSkewSecondsKey, 300)),
        },
        TimeSpan.FromSeconds(Number(config, StorageTimeoutSecondsKey, 60)));

    private static double Number(IConfiguration config, string key, double fallback) =>
        config[key] is { Length: > 0 } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
              : throw new InvalidOperationException($"{key} must be a positive number, not '{text}'.")
            : fallback;
}

public static class IngestionSetup
{
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, IngestJsonContext.Default));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => IngestSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new IngestPipeline(
            sp.GetRequiredService<DataStore>(),
            new EventValidator(sp.GetRequiredService<IngestSettings>().Validation, sp.GetRequiredService<Pseudonymizer>()),
            sp.GetRequiredService<TimeProvider>(),
            new GroupCommitLimits(),
            sp.GetRequiredService<IngestSettings>().StorageTimeout));
        services.AddSingleton(sp => new CatalogWriter(sp.GetRequiredService<DataStore>().Catalog, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new UserErasure(sp.GetRequiredService<DataStore>(), sp.GetRequiredService<Pseudonymizer>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    public static IEndpointRouteBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/events", ctx => Execute(ctx, EventEndpoints.PostEventsAsync));
        app.MapPost("/IngestEvents", ctx => Execute(ctx, EventEndpoints.IngestEventHubAsync));
        app.MapPut("/api/items", ctx => Execute(ctx, CatalogEndpoints.PutItemsAsync));
        app.MapGet("/api/items/{*id}", ctx => Execute(ctx, CatalogEndpoints.GetItemAsync));
        app.MapPatch("/api/items/{*id}", ctx => Execute(ctx, CatalogEndpoints.PatchItemAsync));
        app.MapDelete("/api/users/{*userId}", ctx => Execute(ctx, UserEndpoints.DeleteUserAsync));
        return app;
    }

    // Plain request delegates: no reflection-based parameter binding, so nothing here depends on the request
    // delegate generator under Native AOT.
    private static async Task Execute(HttpContext ctx, Func<HttpContext, Task<IResult>> handler) =>
        await (await handler(ctx)).ExecuteAsync(ctx);
}
