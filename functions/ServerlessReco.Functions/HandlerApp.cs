using System.Net;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions;

/// <summary>
/// Composition of the custom handler. The Functions host polls GET / until anything answers, so Kestrel binds
/// first and everything slow (models, tables) happens in the background or on first use.
/// </summary>
public static class HandlerApp
{
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

        var store = OpenStore(builder.Configuration);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new ModelPrefetch(store));
        // One key for ingestion, training and serving: the same shopper is the same pseudonym everywhere.
        builder.Services.AddSingleton(sp => new Pseudonymizer(
            sp.GetRequiredService<IConfiguration>()["RECO_PSEUDONYM_KEY"] is { Length: > 0 } key ? key : Pseudonymizer.DevelopmentKey));
        // Serving reads it; catalogue writes update it so stock changes apply to the next request.
        builder.Services.AddSingleton<CatalogCache>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServeJsonContext.Default));
        builder.Services.AddServing();
        builder.Services.AddIngestion();
        builder.Services.AddTranslation(builder.Configuration);

        var app = builder.Build();
        app.Use(ServerTiming);
        app.MapGet("/", () => Results.Text("ServerlessReco custom handler"));
        app.MapServing();
        app.MapIngestion();
        app.MapTranslation();
        return app;
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

    private static DataStore OpenStore(IConfiguration config)
    {
        var connection = config[DataStore.ConnectionStringVariable] is { Length: > 0 } c ? c
            : config["AzureWebJobsStorage"] is { Length: > 0 } w ? w
            : throw new InvalidOperationException($"No storage configured: set {DataStore.ConnectionStringVariable} or AzureWebJobsStorage.");
        return DataStore.FromConnectionString(connection, config[DataStore.PrefixVariable] ?? "");
    }
}
