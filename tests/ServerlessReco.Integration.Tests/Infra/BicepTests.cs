using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace ServerlessReco.Tests.Infra;

public class BicepTests
{
    [Fact]
    public async Task Main_template_compiles_and_deploys_the_parts_the_functions_need()
    {
        var bicep = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
        Assert.True(File.Exists(bicep), $"bicep compiler not restored at {bicep}");
        var start = new ProcessStartInfo(bicep, ["build", Path.Combine(Repository.Root, "infra", "main.bicep"), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.DoesNotContain("Warning", stderr);

        using var arm = JsonDocument.Parse(await stdout);
        var resources = arm.RootElement.GetProperty("resources");
        var types = (resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray())
            .Select(r => r.GetProperty("type").GetString()).ToHashSet();
        Assert.Contains("Microsoft.Web/sites", types);
        Assert.Contains("Microsoft.EventHub/namespaces/eventhubs", types);
        Assert.Contains("Microsoft.CognitiveServices/accounts", types);
        Assert.Contains("Microsoft.Storage/storageAccounts/tableServices/tables", types);
        var text = arm.RootElement.GetRawText();
        foreach (var setting in new[] { "RECO_STORAGE_CONNECTION_STRING", "RECO_PSEUDONYM_KEY", "RECO_SHOPPER_TOKEN_SECRET", "EventHubConnection", "TRANSLATOR_KEY" })
            Assert.Contains(setting, text);
    }
}
