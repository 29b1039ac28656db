using Microsoft.Extensions.Options;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Functions.Operator;
using ServerlessReco.Functions.Search;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Functions.Translate;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions;

/// <summary>
/// The API both hosts serve, in three parts: its services, the middleware every request passes, and the endpoints.
/// The custom handler (HandlerApp) puts them on its own Kestrel; the isolated worker runs them inside each function.
/// </summary>
public static class RecoApi
{
    /// <exception cref="OptionsValidationException">A storage setting is missing or wrong.</exception>
    public static IServiceCollection AddRecoApi(this IServiceCollection services, IConfiguration configuration)
    {
        // Per-request framework logs cost more than a recommendation; the app's own logs stay at Information.
        services.AddLogging(l => l.AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
        var storage = BindStorage(configuration);
        // Requests fail fast while storage is down instead of each spending seconds on retries.
        var store = DataStore.FromConnectionString(storage.EffectiveConnectionString!, storage.Prefix, new StorageBreaker());
        services.AddSingleton(store);
        services.AddSingleton(new ModelPrefetch(store));
        // One key for ingestion, training and serving: the same shopper is the same pseudonym everywhere.
        services.AddSingleton(Pseudonymizer.ForKey(storage.PseudonymKey));
        // Serving reads it; catalogue writes update it so stock changes apply to the next request.
        services.AddSingleton<CatalogCache>();
        services.AddProblems();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServeJsonContext.Default));
        services.AddServing(configuration);
        services.AddIngestion(configuration);
        services.AddTranslation(configuration);
        services.AddSearch(configuration);
        services.AddOperator();
        services.AddApiDocument();
        HandlerTelemetry.AddTelemetry(services, configuration);
        return services;
    }

    /// <summary>Problem Details for every error and Server-Timing on every answer, before the endpoints.</summary>
    public static TApp UseRecoApi<TApp>(this TApp app) where TApp : IApplicationBuilder
    {
        app.UseProblems();
        app.Use(ServerTiming);
        return app;
    }

    public static IEndpointRouteBuilder MapRecoApi(this IEndpointRouteBuilder app)
    {
        app.MapServing();
        app.MapIngestion();
        app.MapTranslation();
        app.MapSearch();
        app.MapOperator();
        app.MapWebPages();
        app.MapApiDocument();
        return app;
    }

    /// <summary>
    /// The one line a host prints for a setting it cannot start with: validation failures name the setting and its
    /// value; a value the binder cannot convert at all (text for a number) names them in the binder's own words.
    /// Null for anything else, which stays an unhandled exception.
    /// </summary>
    public static string? SettingFailure(Exception e) => e switch
    {
        OptionsValidationException invalid => string.Join("; ", invalid.Failures),
        AggregateException all when all.InnerExceptions.All(i => i is OptionsValidationException) =>
            string.Join("; ", all.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)),
        InvalidOperationException { InnerException: FormatException or OverflowException } binding => binding.Message,
        _ => null,
    };

    /// <summary>
    /// Bound and checked here rather than at host start: the store opens before the host is built, so that the
    /// model prefetch runs beside the rest of start-up.
    /// </summary>
    private static StorageOptions BindStorage(IConfiguration configuration)
    {
        var options = new StorageOptions();
        configuration.Bind(options);
        var result = new HandlerOptionsValidator().Validate(null, options);
        if (result.Failed) throw new OptionsValidationException("storage", typeof(StorageOptions), result.Failures);
        return options;
    }

    /// <summary>
    /// Server-Timing: app;dur=MS on every response: the API's own time, which a load generator on the same
    /// machine (or the Functions host in front) reads without adding its own overhead.
    /// </summary>
    private static Task ServerTiming(HttpContext context, RequestDelegate next)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        context.Response.OnStarting(static state =>
        {
            var (response, started) = ((HttpResponse, long))state;
            double ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            response.Headers["Server-Timing"] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"app;dur={ms:F3}");
            return Task.CompletedTask;
        }, (context.Response, start));
        return next(context);
    }
}
