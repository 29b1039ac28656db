using System.Diagnostics;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Infra;

/// <summary>infra/smoke-test.sh, the post-deployment check, against the handler on a socket (no Functions host here, so no key checks).</summary>
public class SmokeTestScriptTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "infra", "smoke-test.sh"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task It_passes_against_a_serving_app()
    {
        var (exitCode, output) = await RunAsync(world.Handler.Address.ToString());
        Assert.True(exitCode == 0, output);
        Assert.Equal(5, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
        Assert.Contains("skip function-key checks", output);
    }

    [Fact]
    public async Task It_passes_before_a_model_is_published()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var (exitCode, output) = await RunAsync(handler.Address.ToString());
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task It_fails_naming_each_check_when_nothing_answers_or_an_ingestion_app_serves_more_than_ingestion()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closed = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var (exitCode, output) = await RunAsync(closed);
        Assert.Equal(1, exitCode);
        Assert.Equal(5, output.Split('\n').Count(l => l.StartsWith("FAIL ", StringComparison.Ordinal)));

        // The handler as the "ingestion app": it serves Popular, which the ingestion app must have disabled.
        (exitCode, output) = await RunAsync(world.Handler.Address.ToString(), "--ingest", world.Handler.Address.ToString());
        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL the ingestion app serves nothing but IngestEvents and Health", output);
    }
}
