using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ServerlessReco.Storage;

namespace ServerlessReco.Benchmarks;

/// <summary>The function app's handler as its own process, started the way the Functions host starts it.</summary>
public sealed class HandlerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly long _startTimestamp;

    private HandlerProcess(Process process, long startTimestamp, int port)
    {
        _process = process;
        _startTimestamp = startTimestamp;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public HttpClient Client { get; }

    /// <summary>The loopback address the handler listens on.</summary>
    public Uri Address => Client.BaseAddress!;

    /// <summary>CPU the handler process has used so far.</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The handler process's resident memory now.</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <param name="command">the handler: a path to reco-handler.dll (run with dotnet) or to the Native AOT executable</param>
    /// <param name="settings">further app settings for the handler (e.g. RECO_ENCODER_DIR, feature switches, exporters)</param>
    public static Task<HandlerProcess> StartAsync(string command, string connectionString, string prefix, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null)
    {
        int port = FreePort();
        var start = command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo("dotnet", [command])
            : new ProcessStartInfo(command);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[DataStore.ConnectionStringVariable] = connectionString;
        start.Environment[DataStore.PrefixVariable] = prefix;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        long timestamp = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return Task.FromResult(new HandlerProcess(process, timestamp, port));
    }

    /// <summary>Polls the path until it answers 200 with items; returns milliseconds since the process was started.</summary>
    public async Task<double> MillisecondsToFirstRecommendationAsync(string path, string authorization, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The handler exited with code {_process.ExitCode}.");
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
                using var response = await Client.SendAsync(request, ct).ConfigureAwait(false);
                // Success means real items: an answer before the catalogue has loaded is empty.
                if (response.StatusCode == HttpStatusCode.OK && !(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Contains("\"items\":[]", StringComparison.Ordinal))
                    return Stopwatch.GetElapsedTime(_startTimestamp).TotalMilliseconds;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        throw new TimeoutException($"No 200 from {path} within 60 s.");
    }

    /// <summary>
    /// Creates the tables a deployment provisions (infra/main.bicep), as there: the Native AOT handler cannot create
    /// tables (Azure.Data.Tables serialises the create request by reflection).
    /// </summary>
    public static async Task ProvisionTablesAsync(DataStore store, CancellationToken ct)
    {
        foreach (var table in (string[])["items", "catalogchanges", "events", "activity", "translations"])
            await store.Table(table).CreateIfNotExistsAsync(ct).ConfigureAwait(false);
    }

    /// <summary>CPU time used so far by the azurite process named in RECO_AZURITE_PID (set by ./reco bench), if there is one.</summary>
    public static TimeSpan? AzuriteCpu()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("RECO_AZURITE_PID"), out int pid)) return null;
        try
        {
            using var azurite = Process.GetProcessById(pid);
            return azurite.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Polls the custom-handler readiness path `GET /` until it answers 200.</summary>
    public async Task WaitReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The handler exited with code {_process.ExitCode}.");
            try
            {
                using var response = await Client.GetAsync("/", ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        throw new TimeoutException("The handler did not answer GET / within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
    }
}
