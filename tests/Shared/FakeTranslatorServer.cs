using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

/// <summary>What the fake server saw for one request, and what it answered.</summary>
internal sealed record ObservedRequest(
    DateTimeOffset At,
    string Host,
    string Path,
    string? ApiVersion,
    IReadOnlyList<string> To,
    string? From,
    IReadOnlyList<string> Texts,
    string? Key,
    string? Region,
    string? Authorization,
    string? ResourceId,
    string? ClientTraceId,
    int Status)
{
    public int Characters => Texts.Sum(t => t.Length) * To.Count;
}

/// <summary>
/// Translator Text v3.0 stand-in on Kestrel over TLS (Azure.Core refuses bearer tokens over plain http).
/// Clients made with <see cref="CreateOptions"/> resolve every host name to this server, so tests can use the
/// real global and custom-domain endpoint URLs.
/// </summary>
internal sealed class FakeTranslatorServer : IAsyncDisposable
{
    public const string Key = "fake-translator-key";
    public const string Token = "fake-entra-token";

    private static readonly HashSet<string> Languages = new(StringComparer.OrdinalIgnoreCase) { "en", "de", "fr", "es", "it", "ja", "pt-br", "zh-Hans" };

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentQueue<Failure> _scripted = new();
    private readonly ConcurrentQueue<ObservedRequest> _requests = new();
    private volatile Failure? _always;

    private sealed record Failure(int Status, int Code, string Message, int? RetryAfterSeconds);

    private FakeTranslatorServer(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        _certificate = certificate;
    }

    public int Port { get; private set; }

    public int MaxElements { get; set; } = TranslatorClientOptions.ServiceMaxElementsPerRequest;

    public int MaxCharacters { get; set; } = TranslatorClientOptions.ServiceMaxCharactersPerRequest;

    public IReadOnlyList<ObservedRequest> Requests => _requests.ToArray();

    public static async Task<FakeTranslatorServer> StartAsync()
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var server = new FakeTranslatorServer(app, certificate);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Port = new Uri(address).Port;
        return server;
    }

    /// <summary>Answer the next <paramref name="times"/> well-formed, authorised requests with this error.</summary>
    public void FailNext(int times, HttpStatusCode status, int code, string message, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++)
            _scripted.Enqueue(new Failure((int)status, code, message, retryAfterSeconds));
    }

    public void FailAlways(HttpStatusCode status, int code, string message, int? retryAfterSeconds = null) =>
        _always = new Failure((int)status, code, message, retryAfterSeconds);

    /// <summary>Options whose transport dials this server whatever the endpoint's host, trusting only its certificate; retries kept fast.</summary>
    public TranslatorClientOptions CreateOptions()
    {
        var thumbprint = _certificate.GetCertHashString();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint,
            },
        };
        var options = new TranslatorClientOptions { Transport = new HttpClientTransport(handler) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(100);
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var to = request.Query["to"].Where(l => l is not null).Select(l => l!).ToArray();
        string? from = request.Query["from"];
        string? apiVersion = request.Query["api-version"];
        string? key = request.Headers["Ocp-Apim-Subscription-Key"];
        string? authorization = request.Headers.Authorization;
        var texts = new List<string>();
        var bodyValid = true;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            foreach (var element in body.RootElement.EnumerateArray())
                texts.Add(element.GetProperty("Text").GetString()!);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            bodyValid = false;
        }

        var failure =
            request.Method != "POST" || (request.Path != "/translate" && request.Path != "/translator/text/v3.0/translate")
                ? new Failure(404, 404001, "The requested resource was not found.", null)
            : apiVersion != "3.0" ? new Failure(400, 400021, "The API version parameter is missing or invalid.", null)
            : key != Key && authorization != "Bearer " + Token ? new Failure(401, 401000, "The request is not authorized because credentials are missing or invalid.", null)
            : to.Length == 0 || to.Any(l => !Languages.Contains(l)) ? new Failure(400, 400036, "The target language is not valid or is missing.", null)
            : from is not null && !Languages.Contains(from) ? new Failure(400, 400035, "The source language is not valid.", null)
            : !bodyValid ? new Failure(400, 400074, "The body of the request is not valid JSON.", null)
            : texts.Count > MaxElements ? new Failure(400, 400077, "The maximum request size has been exceeded.", null)
            : texts.Sum(t => t.Length) * to.Length > MaxCharacters ? new Failure(400, 400050, "The input text is too long.", null)
            : _scripted.TryDequeue(out var scripted) ? scripted
            : _always;

        _requests.Enqueue(new ObservedRequest(
            DateTimeOffset.UtcNow, request.Host.Value ?? "", request.Path.Value ?? "", apiVersion, to, from, texts,
            key, request.Headers["Ocp-Apim-Subscription-Region"], authorization, request.Headers["Ocp-Apim-ResourceId"],
            request.Headers["X-ClientTraceId"], failure?.Status ?? 200));

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers["X-RequestId"] = Guid.NewGuid().ToString("N");
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        if (failure is not null)
        {
            context.Response.StatusCode = failure.Status;
            if (failure.RetryAfterSeconds is { } seconds)
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteNumber("code", failure.Code);
            writer.WriteString("message", failure.Message);
            writer.WriteEndObject();
            writer.WriteEndObject();
            return;
        }

        writer.WriteStartArray();
        foreach (var text in texts)
        {
            writer.WriteStartObject();
            if (from is null)
            {
                writer.WriteStartObject("detectedLanguage");
                writer.WriteString("language", "en");
                writer.WriteNumber("score", 0.98);
                writer.WriteEndObject();
            }
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

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-translator", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("api.cognitive.microsofttranslator.com");
        names.AddDnsName("*.cognitiveservices.azure.com");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), password: null);
    }
}
