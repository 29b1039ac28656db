using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ServerlessReco.Jobs.Bench;

/// <summary>
/// A Translator v3.0 stand-in on loopback http for the caching benchmark: answers POST /translate with
/// "[lang] text" for every text and target, instantly, so the figures measure the client, cache and storage.
/// </summary>
internal sealed class LoopbackTranslator : IAsyncDisposable
{
    public const string Key = "bench-key";
    private readonly WebApplication _app;
    private int _requests;

    private LoopbackTranslator(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<LoopbackTranslator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackTranslator(app);
        app.MapPost("/translate", server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (context.Request.Headers["Ocp-Apim-Subscription-Key"] != Key)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var to = context.Request.Query["to"].Select(l => l ?? "").ToArray();
        using var body = await JsonDocument.ParseAsync(context.Request.Body).ConfigureAwait(false);
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartArray();
        foreach (var element in body.RootElement.EnumerateArray())
        {
            var text = element.GetProperty("Text").GetString();
            writer.WriteStartObject();
            writer.WriteStartArray("translations");
            foreach (var language in to)
            {
                writer.WriteStartObject();
                writer.WriteString("text", $"[{language}] {text}");
                writer.WriteString("to", language);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
