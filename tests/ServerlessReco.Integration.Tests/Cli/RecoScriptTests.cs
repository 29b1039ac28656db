using System.Net;
using System.Net.Sockets;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Cli;

public class RecoScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="test"/> with a fresh temporary folder, deleted afterwards whatever happens.</summary>
    private static async Task InWorkDirectoryAsync(string prefix, Func<string, Task> test)
    {
        var work = Directory.CreateTempSubdirectory(prefix).FullName;
        try
        {
            await test(work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Jobs_take_store_before_or_after_the_job_name_and_a_directory_store_starts_no_azurite(bool storeFirst)
    {
        await InWorkDirectoryAsync("reco-jobs-cli-", async work =>
        {
            var csv = Path.Combine(work, "orders.csv");
            await File.WriteAllLinesAsync(csv, ["user,item", "u1,A1", "u1,A2", "u2,A1"]);
            var storeDirectory = Path.Combine(work, "store");
            string[] store = ["--store", "dir:" + storeDirectory];
            string[] job = ["import-csv", "--input", csv, "--user", "user", "--item", "item"];

            string[] args = storeFirst ? ["jobs", .. store, .. job] : ["jobs", .. job, .. store];
            await using var script = RecoScript.Start(null, args);

            Assert.Equal(0, await script.WaitForExitAsync(Timeout));
            Assert.DoesNotContain("azurite", script.Output, StringComparison.Ordinal);
            var events = await DataStore.Open("dir:" + storeDirectory, configuredConnection: null, prefix: "").EventLog.ReadDistinctAsync();
            Assert.Equal(3, events.Count);
        });
    }

    [Fact]
    public async Task Evaluate_min_lift_gates_on_the_served_pipeline_with_exit_code_3()
    {
        await InWorkDirectoryAsync("reco-jobs-gate-", async work =>
        {
            // The first 30,000 rows of the real data: a month of December 2010, split on the 10th.
            var sample = Path.Combine(work, "sample.csv");
            await using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(ServerlessReco.Jobs.Import.ImportJobs.BundledOnlineRetail), System.IO.Compression.CompressionMode.Decompress))
            using (var reader = new StreamReader(gz))
            await using (var writer = new StreamWriter(sample))
                for (int i = 0; i < 30_001 && await reader.ReadLineAsync() is { } line; i++) await writer.WriteLineAsync(line);
            string[] store = ["--store", "dir:" + Path.Combine(work, "store")];
            await using (var import = RecoScript.Start(null, ["jobs", "import-online-retail", "--input", sample, .. store]))
                Assert.Equal(0, await import.WaitForExitAsync(Timeout));

            string[] evaluate = ["jobs", "evaluate", "--split", "time:2010-12-10", "--factors", "8", "--iterations", "3", .. store];
            await using var failing = RecoScript.Start(null, [.. evaluate, "--min-lift", "1000"]);
            await using var passing = RecoScript.Start(null, [.. evaluate, "--min-lift", "0.001"]);

            Assert.Equal(3, await failing.WaitForExitAsync(Timeout));
            Assert.Contains("served pipeline lift", failing.Output, StringComparison.Ordinal);
            Assert.Equal(0, await passing.WaitForExitAsync(Timeout));
        });
    }

    [Fact]
    public async Task A_seeded_stratified_split_is_the_same_in_every_process()
    {
        await InWorkDirectoryAsync("reco-jobs-split-", async work =>
        {
            var csv = Path.Combine(work, "orders.csv");
            var random = new Random(5);
            await File.WriteAllLinesAsync(csv, ["user,item", .. Enumerable.Range(0, 3000).Select(_ => $"u{random.Next(200)},i{random.Next(300)}")]);
            string[] store = ["--store", "dir:" + Path.Combine(work, "store")];
            await using (var import = RecoScript.Start(null, ["jobs", "import-csv", "--input", csv, "--user", "user", "--item", "item", .. store]))
                Assert.Equal(0, await import.WaitForExitAsync(Timeout));

            // Two processes: string hash codes differ between them, so a split seeded from them would differ too.
            var reports = new List<string>();
            foreach (var name in new[] { "a.json", "b.json" })
            {
                var json = Path.Combine(work, name);
                await using var evaluate = RecoScript.Start(null, ["jobs", "evaluate", "--split", "stratified:0.75:7", "--factors", "4", "--iterations", "2", "--json", json, .. store]);
                Assert.Equal(0, await evaluate.WaitForExitAsync(Timeout));
                var report = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(json))!;
                reports.Add($"{report["testPairs"]} {report["trainNonZeros"]} {report["results"]![0]!["metrics"]!["ndcg"]}");
            }

            Assert.Equal(reports[0], reports[1]);
        });
    }

    [Fact]
    public async Task A_job_that_cannot_run_says_why_in_one_line_without_a_stack_trace() =>
        await InWorkDirectoryAsync("reco-jobs-empty-", async work =>
        {
            await using var train = RecoScript.Start(null, ["jobs", "train", "--store", "dir:" + Path.Combine(work, "store")]);

            Assert.Equal(1, await train.WaitForExitAsync(Timeout));
            Assert.Contains("reco-jobs: The event log in dir:", train.Output, StringComparison.Ordinal);
            Assert.Contains("import or ingest some first", train.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", train.Output, StringComparison.Ordinal);
        });

    [Fact]
    public async Task Sigterm_to_serve_stops_the_handler_and_the_azurite_it_started_and_frees_the_port()
    {
        int port = FreePort();
        await using var script = RecoScript.Start(new Dictionary<string, string> { ["RECO_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, "serve");
        Assert.Equal(port, await script.WaitUntilServingAsync(Timeout));
        var children = script.Descendants();
        Assert.Contains(children, c => c.Command.Contains("reco-handler", StringComparison.Ordinal));
        Assert.Contains(children, c => c.Command.Contains("azurite", StringComparison.Ordinal));

        script.Signal("TERM");

        Assert.Equal(143, await script.WaitForExitAsync(Timeout));
        Assert.DoesNotContain(children, c => RecoScript.IsAlive(c.Pid));
        Assert.False(await RecoScript.AcceptsAsync(port), $"port {port} still accepts connections");
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public async Task Serve_takes_the_next_free_port_when_its_port_is_busy_and_says_so()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int taken = ((IPEndPoint)busy.LocalEndpoint).Port;
        await using var script = RecoScript.Start(new Dictionary<string, string> { ["RECO_PORT"] = taken.ToString(System.Globalization.CultureInfo.InvariantCulture) }, "serve");

        int port = await script.WaitUntilServingAsync(Timeout);

        Assert.True(port > taken, $"served on {port}, not above the busy {taken}");
        Assert.Contains($"port {taken} is in use: taking {port}", script.Output, StringComparison.Ordinal);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        script.Signal("INT");
        Assert.Equal(130, await script.WaitForExitAsync(Timeout));
        Assert.False(await RecoScript.AcceptsAsync(port), $"port {port} still accepts connections after SIGINT");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
