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

/// <summary>
/// The hostingModel parameter: each model's runtime and package, and the custom-handler app that runs IngestEvents
/// when the API runs on the isolated worker (whose Event Hubs extension is not available).
/// </summary>
public partial class HostingModelTests
{
    private static readonly string[] Models = ["customHandler", "isolatedWorker"];

    private static JsonElement Site(JsonElement arm, bool conditional) =>
        Assert.Single(MainTemplate.Resources(arm), r => r.GetProperty("type").GetString() == "Microsoft.Web/sites" && r.TryGetProperty("condition", out _) == conditional);

    private static string[] FunctionNames() =>
        [.. Directory.GetDirectories(Path.Combine(Repository.Root, "functions", "ServerlessReco.Functions"))
            .Where(d => File.Exists(Path.Combine(d, "function.json"))).Select(Path.GetFileName).Order()!];

    [Fact]
    public async Task Each_hosting_model_has_its_runtime_and_package_and_the_custom_handler_is_the_default()
    {
        var arm = await MainTemplate.CompileAsync();
        var parameter = arm.GetProperty("parameters").GetProperty("hostingModel");
        Assert.Equal("customHandler", parameter.GetProperty("defaultValue").GetString());
        Assert.Equal(Models, parameter.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()));
        var models = arm.GetProperty("variables").GetProperty("hostingModels");
        Assert.Equal(Models, models.EnumerateObject().Select(m => m.Name));

        // What FUNCTIONS_WORKER_RUNTIME says elsewhere; Flex Consumption takes the runtime in functionAppConfig.
        Assert.Equal(("custom", "1.0"), Runtime(models.GetProperty("customHandler")));
        Assert.Equal(("dotnet-isolated", "10.0"), Runtime(models.GetProperty("isolatedWorker")));
        Assert.Equal("[variables('hostingModels')[parameters('hostingModel')]]", arm.GetProperty("variables").GetProperty("hosting").GetString());
        var app = Site(arm, conditional: false);
        Assert.Equal("[variables('hosting').runtime]", app.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("runtime").GetString());
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", app.GetRawText());

        // The package: each model's publish command is one that functions/publish.sh takes.
        var script = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "functions", "publish.sh"));
        Assert.Equal("functions/publish.sh", models.GetProperty("customHandler").GetProperty("publish").GetString());
        Assert.Equal("functions/publish.sh --worker", models.GetProperty("isolatedWorker").GetProperty("publish").GetString());
        Assert.Contains("--worker) WORKER=true", script);
    }

    [Fact]
    public async Task With_the_isolated_worker_a_custom_handler_app_runs_IngestEvents_alone()
    {
        var arm = await MainTemplate.CompileAsync();
        var variables = arm.GetProperty("variables");
        Assert.Equal("[equals(parameters('hostingModel'), 'isolatedWorker')]", variables.GetProperty("separateIngestApp").GetString());
        var ingest = Site(arm, conditional: true);
        Assert.Equal("[variables('separateIngestApp')]", ingest.GetProperty("condition").GetString());
        var config = ingest.GetProperty("properties").GetProperty("functionAppConfig");
        Assert.Equal("[variables('hostingModels').customHandler.runtime]", config.GetProperty("runtime").GetString());

        // Every function of the custom handler is disabled there but IngestEvents (and Health, to check the app): a
        // function.json added later fails here until it is placed.
        var off = variables.GetProperty("functionsOffTheIngestApp").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.DoesNotContain("IngestEvents", off);
        Assert.Equal(FunctionNames(), off.Append("IngestEvents").Append("Health").Order());
        var disabled = Assert.Single(variables.GetProperty("copy").EnumerateArray(), c => c.GetProperty("name").GetString() == "disabledOnTheIngestApp");
        Assert.Equal("[format('AzureWebJobs.{0}.Disabled', variables('functionsOffTheIngestApp')[copyIndex('disabledOnTheIngestApp')])]",
            disabled.GetProperty("input").GetProperty("name").GetString());

        // Its settings are the function app's (Event Hubs included) plus the disabled functions.
        var settings = ingest.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").GetString()!;
        var names = SettingName().Matches(settings).Select(m => m.Groups[1].Value).ToList();
        var appNames = Site(arm, conditional: false).GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings")
            .EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList();
        Assert.Equal(appNames, names);
        Assert.Contains("EVENTHUB_CONNECTION", names);
        Assert.EndsWith("variables('disabledOnTheIngestApp'))]", settings);
    }

    private static (string?, string?) Runtime(JsonElement model)
    {
        var runtime = model.GetProperty("runtime");
        return (runtime.GetProperty("name").GetString(), runtime.GetProperty("version").GetString());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"createObject\('name', '([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex SettingName();
}
