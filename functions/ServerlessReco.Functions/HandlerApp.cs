using System.Net;

namespace ServerlessReco.Functions;

/// <summary>
/// Composition of the custom handler: the API (<see cref="RecoApi"/>) on its own Kestrel. The Functions host polls
/// GET / until anything answers, so Kestrel binds first and everything slow (models, tables) happens in the
/// background or on first use.
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
        configure?.Invoke(builder);
        builder.Services.AddRecoApi(builder.Configuration);

        var app = builder.Build();
        app.UseRecoApi();
        app.MapGet("/", () => TypedResults.Text("ServerlessReco custom handler")).ExcludeFromDescription();
        app.MapRecoApi();
        return app;
    }
}
