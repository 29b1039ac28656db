using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;
using ServerlessReco.Domain;
using ServerlessReco.Functions;
using ServerlessReco.Functions.Worker;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Worker;

/// <summary>
/// The isolated-worker app built with its own registrations (WorkerApp.Build) but not run: without the Functions
/// host there is no HostEndpoint to connect to. The API's background services (model and catalogue polling,
/// erasures) are started, and functions are invoked directly, as the worker's ASP.NET Core integration does: the
/// function class from the container, the request as an HttpContext, the returned IResult executed against it.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly List<IHostedService> _started = [];

    private WorkerHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public static async Task<WorkerHost> StartAsync(DataStore store, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var host = new WorkerHost(Build(store, settings, services));
        host.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        foreach (var service in host.Services.GetServices<IHostedService>().Where(s => s.GetType().Assembly == typeof(RecoApi).Assembly))
        {
            await service.StartAsync(CancellationToken.None);
            host._started.Add(service);
        }
        return host;
    }

    public static IHost Build(DataStore store, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        WorkerApp.Build([], builder =>
        {
            var values = new Dictionary<string, string?>
            {
                // What the Functions host passes a worker it starts; resolving the worker's services needs it, and
                // nothing connects to it, since the host is not run.
                ["Functions:Worker:HostEndpoint"] = "http://127.0.0.1:9",
                [DataStore.ConnectionStringVariable] = TestStorage.ConnectionString,
                [DataStore.PrefixVariable] = store.Prefix,
            };
            foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
            builder.Configuration.AddInMemoryCollection(values);
            services?.Invoke(builder.Services);
        });

    /// <summary>A file of the worker's build output, in the configuration these tests were built in.</summary>
    public static string BuildOutput(string file)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        return Path.Combine(Repository.Root, "functions", "ServerlessReco.Functions.Worker", "bin", configuration, "net10.0", file);
    }

    /// <summary>Every [Function] method of the worker, with its HTTP trigger when it has one.</summary>
    public static IEnumerable<(string Name, MethodInfo Method, HttpTriggerAttribute? Http)> Functions() =>
        typeof(WorkerApp).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
            .Select(m => (m.GetCustomAttribute<FunctionAttribute>()!.Name, m,
                m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)));

    /// <summary>The HTTP function whose route and methods take the request, as the host's routing would choose it.</summary>
    public static (string Name, MethodInfo Method) HttpFunctionFor(string method, string path)
    {
        var segments = path.Split('?')[0].TrimStart('/').Split('/');
        var matches = Functions().Where(f => f.Http is { } http
                && http.Methods!.Contains(method, StringComparer.OrdinalIgnoreCase)
                && ("api/" + http.Route).Split('/') is var route
                && route.Length == segments.Length
                && route.Zip(segments).All(p => p.First.StartsWith('{') || p.First == p.Second))
            .ToList();
        var match = Assert.Single(matches);
        return (match.Name, match.Method);
    }

    /// <summary>Sends a request to the function routed to it; status, content type, headers and body of the answer.</summary>
    public async Task<WorkerAnswer> SendAsync(string method, string target, string? body = null, string contentType = "application/json", string? authorization = null)
    {
        var (name, function) = HttpFunctionFor(method, target);
        await using var scope = Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var question = target.IndexOf('?');
        context.Request.Method = method.ToUpperInvariant();
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("localhost");
        context.Request.Path = PathString.FromUriComponent(question < 0 ? target : target[..question]);
        context.Request.QueryString = new QueryString(question < 0 ? "" : target[question..]);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        if (authorization is not null) context.Request.Headers.Authorization = authorization;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.ContentType = contentType;
            context.Request.ContentLength = bytes.Length;
            context.Request.Body = new MemoryStream(bytes);
        }
        var response = new MemoryStream();
        context.Response.Body = response;
        // What the worker's own routing leaves on the context: its endpoint for the function.
        context.SetEndpoint(new Endpoint(_ => Task.CompletedTask, null, name));

        var instance = ActivatorUtilities.CreateInstance(scope.ServiceProvider, function.DeclaringType!);
        var result = Assert.IsAssignableFrom<IResult>(function.Invoke(instance, [context.Request]));
        await result.ExecuteAsync(context);
        return new WorkerAnswer(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, Encoding.UTF8.GetString(response.ToArray()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _started) await service.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}

public sealed record WorkerAnswer(int Status, string? ContentType, IHeaderDictionary Headers, string Body);
