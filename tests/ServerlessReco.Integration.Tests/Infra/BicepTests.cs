using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace ServerlessReco.Tests.Infra;

/// <summary>infra/main.bicep compiled to ARM JSON by the real bicep CLI (restored as a package; works offline).</summary>
public static class MainTemplate
{
    public static async Task<JsonElement> CompileAsync()
    {
        var bicep = typeof(MainTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
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
        return arm.RootElement.Clone();
    }

    /// <summary>Symbolic-name templates (languageVersion 2.0) hold resources in an object, older ones in an array.</summary>
    public static IEnumerable<JsonElement> Resources(JsonElement arm)
    {
        var resources = arm.GetProperty("resources");
        return resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray();
    }
}

public class BicepTests
{
    [Fact]
    public async Task Main_template_compiles_and_deploys_the_parts_the_functions_need()
    {
        var arm = await MainTemplate.CompileAsync();
        var types = MainTemplate.Resources(arm).Select(r => r.GetProperty("type").GetString()).ToHashSet();
        Assert.Contains("Microsoft.Web/sites", types);
        Assert.Contains("Microsoft.EventHub/namespaces/eventhubs", types);
        Assert.Contains("Microsoft.CognitiveServices/accounts", types);
        Assert.Contains("Microsoft.Storage/storageAccounts/tableServices/tables", types);
    }
}
