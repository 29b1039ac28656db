using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ServerlessReco.Domain;
using ServerlessReco.Functions;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests;

/// <summary>The function app's handler listening on a real loopback socket, backed by azurite.</summary>
public sealed class RunningHandler : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningHandler(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient(new StorefrontBackEnd(app.Services.GetRequiredService<ShopperTokens>())) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        Anonymous = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }
    /// <summary>A browser whose storefront back end gave it the token of every shopper it asks recommendations for.</summary>
    public HttpClient Client { get; }
    /// <summary>A caller with no token: what anyone on the internet can do.</summary>
    public HttpClient Anonymous { get; }
    public IServiceProvider Services => _app.Services;

    /// <param name="services">Extra registrations, e.g. Translator client options whose transport dials a fake server.</param>
    public static async Task<RunningHandler> StartAsync(DataStore store, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = HandlerApp.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            var values = new Dictionary<string, string?>
            {
                [DataStore.ConnectionStringVariable] = TestStorage.ConnectionString,
                [DataStore.PrefixVariable] = store.Prefix,
            };
            foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
            builder.Configuration.AddInMemoryCollection(values);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningHandler(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The storefront back end's part, for tests about everything but access: each recommendations request carries
/// a token for the user id in its path, minted with the handler's own secret.
/// </summary>
public sealed class StorefrontBackEnd(ShopperTokens tokens) : DelegatingHandler(new SocketsHttpHandler())
{
    private const string Prefix = "/api/recommendations/";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path.StartsWith(Prefix, StringComparison.Ordinal))
            request.Headers.Authorization = new(ShopperTokens.Scheme, tokens.Mint(Uri.UnescapeDataString(path[Prefix.Length..]), DateTimeOffset.UtcNow.AddMinutes(10)));
        return base.SendAsync(request, cancellationToken);
    }
}
