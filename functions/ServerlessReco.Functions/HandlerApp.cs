using System.Net;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Functions.Operator;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Functions.Translate;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions;

/// <summary>
/// Composition of the custom handler. The Functions host polls GET / until anything answers, so Kestrel binds
/// first and everything slow (models, tables) happens in the background or on first use.
/// </summary>
public static class HandlerApp
{
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A storage setting is missing or wrong.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Settings come from environment variables (app settings in Azure), never from files that change while
            // running. Reloading on change sets up a recursive watcher over the content root, which cost 250 ms of
            // cold start when that root was a working directory with a large tree under it.
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is { Length: > 0 } port)
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)));
        // Per-request framework logs cost more than a recommendation; the app's own logs stay at Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);

        var storage = BindStorage(builder.Configuration);
        // Requests fail fast while storage is down instead of each spending seconds on retries.
        var store = DataStore.FromConnectionString(storage.EffectiveConnectionString!, storage.Prefix, new StorageBreaker());
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new ModelPrefetch(store));
        // One key for ingestion, training and serving: the same shopper is the same pseudonym everywhere.
        builder.Services.AddSingleton(Pseudonymizer.ForKey(storage.PseudonymKey));
        // Serving reads it; catalogue writes update it so stock changes apply to the next request.
        builder.Services.AddSingleton<CatalogCache>();
        builder.Services.AddProblems();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServeJsonContext.Default));
        builder.Services.AddServing(builder.Configuration);
        builder.Services.AddIngestion(builder.Configuration);
        builder.Services.AddTranslation(builder.Configuration);
        builder.Services.AddOperator();
        builder.Services.AddApiDocument();
        HandlerTelemetry.AddTelemetry(builder);

        var app = builder.Build();
        app.UseProblems();
        app.Use(ServerTiming);
        app.MapGet("/", () => TypedResults.Text("ServerlessReco custom handler")).ExcludeFromDescription();
        app.MapServing();
        app.MapIngestion();
        app.MapTranslation();
        app.MapOperator();
        app.MapWebPages();
        app.MapApiDocument();
        return app;
    }

    /// <summary>
    /// Bound and checked here rather than at host start: the store opens before the host is built, so that the
    /// model prefetch runs beside the rest of start-up.
    /// </summary>
    private static StorageOptions BindStorage(IConfiguration configuration)
    {
        var options = new StorageOptions();
        configuration.Bind(options);
        var result = new HandlerOptionsValidator().Validate(null, options);
        if (result.Failed) throw new Microsoft.Extensions.Options.OptionsValidationException("storage", typeof(StorageOptions), result.Failures);
        return options;
    }

    /// <summary>
    /// Server-Timing: app;dur=MS on every response: the handler's own time, which a load generator on the same
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
