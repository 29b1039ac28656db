using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace ServerlessReco.Tests.Worker;

/// <summary>functions/publish.sh --worker, as a deployment runs it: the zip the dotnet-isolated runtime takes.</summary>
public class WorkerPublishTests
{
    [Fact]
    public async Task Publish_sh_worker_zips_the_isolated_worker_app_compiled_ReadyToRun()
    {
        var output = Directory.CreateTempSubdirectory("reco-worker-publish-");
        try
        {
            var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "functions", "publish.sh"), "--worker", "--out", output.FullName])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Repository.Root,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"publish.sh --worker failed: {await stdout}{await stderr}");

            using var zip = ZipFile.OpenRead(Path.Combine(output.FullName, "functionapp.zip"));
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var file in new[] { "host.json", "functions.metadata", "worker.config.json", "extensions.json", "reco-worker.dll", "ServerlessReco.Api.dll" })
                Assert.Contains(file, entries);
            // The host extensions the SDK built for the worker's bindings (HTTP proxying, timers).
            Assert.Contains(entries, e => e.StartsWith(".azurefunctions/", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal));
            Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal));
            // The custom handler's layout stays out: the host would read function.json folders as functions.
            Assert.DoesNotContain(entries, e => e.EndsWith("function.json", StringComparison.Ordinal));

            using (var config = JsonDocument.Parse(zip.GetEntry("worker.config.json")!.Open()))
                Assert.Equal("reco-worker.dll", config.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString());
            using (var host = JsonDocument.Parse(zip.GetEntry("host.json")!.Open()))
            {
                Assert.False(host.RootElement.TryGetProperty("customHandler", out _));
                Assert.Equal("api", host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
            }

            foreach (var assembly in new[] { "reco-worker.dll", "ServerlessReco.Api.dll", "ServerlessReco.Core.dll" })
                Assert.True(IsReadyToRun(zip.GetEntry(assembly)!), $"{assembly} is not ReadyToRun");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>A ReadyToRun image carries precompiled code behind the CLI header's managed native header.</summary>
    private static bool IsReadyToRun(ZipArchiveEntry entry)
    {
        using var copy = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(copy);
        copy.Position = 0;
        using var pe = new PEReader(copy);
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
