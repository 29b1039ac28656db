using System.Net;
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
        var builder = WebApplication.CreateSlimBuilder(args);
        if (builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is { Length: > 0 } port)
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)));
        configure?.Invoke(builder);

        builder.Services.AddSingleton(sp => OpenStore(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddTranslation(builder.Configuration);

        var app = builder.Build();
        app.MapGet("/", () => Results.Text("ServerlessReco custom handler"));
        app.MapTranslation();
        return app;
    }

    private static DataStore OpenStore(IConfiguration config)
    {
        var connection = config[DataStore.ConnectionStringVariable] is { Length: > 0 } c ? c
            : config["AzureWebJobsStorage"] is { Length: > 0 } w ? w
            : throw new InvalidOperationException($"No storage configured: set {DataStore.ConnectionStringVariable} or AzureWebJobsStorage.");
        return DataStore.FromConnectionString(connection, config[DataStore.PrefixVariable] ?? "");
    }
}
