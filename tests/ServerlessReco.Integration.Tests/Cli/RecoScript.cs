using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ServerlessReco.Tests.Cli;

/// <summary>
/// `./reco` run as a user runs it, with its own state folder (so it starts its own azurite, never the suite's) and
/// the binaries this test run was built from.
/// </summary>
public sealed partial class RecoScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _state;

    private RecoScript(Process process, string state)
    {
        _process = process;
        _state = state;
    }

    public int Pid => _process.Id;
    public string Output => string.Join('\n', _lines);

    public static RecoScript Start(IDictionary<string, string>? environment, params string[] args)
    {
        var state = Directory.CreateTempSubdirectory("reco-state-").FullName;
        // A test run under ./reco test inherits SIGINT ignored (bash ignores it for background jobs), and a shell
        // cannot trap a signal ignored on entry: the default restored, the script gets Ctrl-C as from a terminal.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", "bash", Path.Combine(Repository.Root, "reco"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        start.Environment["RECO_STATE"] = state;
        start.Environment["RECO_NO_BUILD"] = "1";
        // bin/<configuration>/net10.0: the script runs the binaries of the configuration these tests were built in.
        start.Environment["RECO_CONFIGURATION"] = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        start.Environment.Remove("RECO_PORT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        var script = new RecoScript(process, state);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) script._lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) script._lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return script;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"./reco did not exit within {timeout.TotalSeconds} s:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>The port of the "serving on http://127.0.0.1:PORT" line, once the handler accepts connections there.</summary>
    public async Task<int> WaitUntilServingAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) Assert.Fail($"./reco exited with {_process.ExitCode} before serving:\n{Output}");
            if (_lines.Select(l => ServingLine().Match(l)).FirstOrDefault(m => m.Success) is { } match
                && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is var port
                && await AcceptsAsync(port))
                return port;
            await Task.Delay(100);
        }
        Assert.Fail($"./reco did not serve within {timeout.TotalSeconds} s:\n{Output}");
        return 0;
    }

    public static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Every live process under the script, with its command line.</summary>
    public IReadOnlyList<(int Pid, string Command)> Descendants()
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || ParentOf(pid) is not { } parent) continue;
            if (!parents.TryGetValue(parent, out var children)) parents[parent] = children = [];
            children.Add(pid);
        }
        var found = new List<(int, string)>();
        var pending = new Stack<int>([_process.Id]);
        while (pending.TryPop(out int pid))
            foreach (int child in parents.GetValueOrDefault(pid) ?? [])
            {
                found.Add((child, CommandLine(child)));
                pending.Push(child);
            }
        return found;
    }

    /// <summary>Alive: exists and is not a zombie (an orphan waiting for a parent that may never reap it).</summary>
    public static bool IsAlive(int pid) => State(pid) is { } state && state != 'Z' && state != 'X';

    private static int? ParentOf(int pid) => Stat(pid) is { } fields ? int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) : null;

    private static char? State(int pid) => Stat(pid) is { } fields ? fields[0][0] : null;

    /// <summary>The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses).</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // The test has failed already; what the script failed to stop must not outlive it.
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    [GeneratedRegex(@"serving on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ServingLine();
}
