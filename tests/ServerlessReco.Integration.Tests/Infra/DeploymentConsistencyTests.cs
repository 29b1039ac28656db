using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ServerlessReco.Functions;

namespace ServerlessReco.Tests.Infra;

/// <summary>
/// The settings the deployed app needs against the app settings infra/main.bicep creates, read from the template
/// the bicep CLI compiles (names are literals there; values are deployment-time expressions).
/// </summary>
public partial class DeploymentConsistencyTests
{
    /// <summary>Read by the Functions host itself, not by a binding or the handler.</summary>
    private static readonly HashSet<string> HostSettings = ["AzureWebJobsStorage", "APPLICATIONINSIGHTS_CONNECTION_STRING"];

    /// <summary>Only `./reco demo` sets these; a deployed app runs without them.</summary>
    private static readonly HashSet<string> LocalOnlySettings = ["RECO_DEMO_EXAMPLES", "RECO_DEMO_USERS"];

    private static async Task<HashSet<string>> AppSettingsAsync()
    {
        var arm = await MainTemplate.CompileAsync();
        // The function app; the ingestion app that only the isolated-worker model adds is checked in BicepTests.
        var site = Assert.Single(MainTemplate.Resources(arm), r => r.GetProperty("type").GetString() == "Microsoft.Web/sites" && !r.TryGetProperty("condition", out _));
        var settings = site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .Select(s => s.GetProperty("name").GetString()!).ToList();
        Assert.All(settings, name => Assert.DoesNotMatch(@"^\[", name));
        return [.. settings];
    }

    /// <summary>Every connection and %NAME% placeholder in every function.json, with the file naming it.</summary>
    private static List<(string Function, string Setting, bool Connection)> FunctionJsonSettings()
    {
        var found = new List<(string, string, bool)>();
        var files = Directory.GetFiles(Path.Combine(Repository.Root, "functions", "ServerlessReco.Functions"), "function.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.True(files.Count >= 10, $"only {files.Count} function.json files found");
        foreach (var file in files)
        {
            var function = Path.GetFileName(Path.GetDirectoryName(file))!;
            void Walk(JsonElement element, string? property)
            {
                switch (element.ValueKind)
                {
                    case JsonValueKind.Object:
                        foreach (var p in element.EnumerateObject()) Walk(p.Value, p.Name);
                        break;
                    case JsonValueKind.Array:
                        foreach (var e in element.EnumerateArray()) Walk(e, property);
                        break;
                    case JsonValueKind.String:
                        var text = element.GetString()!;
                        if (property == "connection") found.Add((function, text, true));
                        foreach (Match m in Placeholder().Matches(text)) found.Add((function, m.Groups[1].Value, false));
                        break;
                }
            }
            Walk(JsonDocument.Parse(File.ReadAllText(file)).RootElement, null);
        }
        return found;
    }

    /// <summary>Every key the handler binds: the [ConfigurationKeyName] properties of its options classes, with whether a deployment must set it.</summary>
    private static List<(string Key, bool Required)> HandlerSettings()
    {
        var keys = new List<(string, bool)>();
        foreach (var type in new[] { typeof(RecoApi).Assembly, typeof(ServerlessReco.Telemetry.TelemetryOptions).Assembly }.SelectMany(a => a.GetTypes()).Where(t => t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null))
        {
            var properties = type.GetProperties().Select(p => (Property: p, Key: p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name)).Where(p => p.Key is not null).ToList();
            if (properties.Count == 0) continue;
            var defaults = Activator.CreateInstance(type);
            // A setting without a default (null) is one the deployment must provide; one with a default may be left out.
            foreach (var (property, key) in properties)
                keys.Add((key!, property.GetValue(defaults) is null && !LocalOnlySettings.Contains(key!)));
        }
        return keys;
    }

    [Fact]
    public async Task Every_setting_a_function_json_names_is_an_app_setting_of_the_template()
    {
        var appSettings = await AppSettingsAsync();
        var named = FunctionJsonSettings();
        Assert.Contains(named, n => n.Connection);
        Assert.Contains(named, n => !n.Connection);
        foreach (var (function, setting, connection) in named)
        {
            // An identity-based connection is the settings NAME__fullyQualifiedNamespace (and friends) instead of NAME.
            bool present = appSettings.Contains(setting) || (connection && appSettings.Any(s => s.StartsWith(setting + "__", StringComparison.Ordinal)));
            Assert.True(present, $"{function}/function.json names the {(connection ? "connection" : "setting")} {setting}; infra/main.bicep sets only {string.Join(", ", appSettings.Order())}");
        }
    }

    [Fact]
    public async Task Every_setting_the_handler_needs_is_an_app_setting_of_the_template()
    {
        var appSettings = await AppSettingsAsync();
        var handler = HandlerSettings();
        Assert.Contains(handler, h => h.Required);
        foreach (var (key, required) in handler.Where(h => h.Required))
            Assert.True(appSettings.Contains(key), $"the handler reads {key}, which has no default; infra/main.bicep does not set it");
    }

    [Fact]
    public async Task Every_app_setting_of_the_template_is_read_by_the_host_a_function_json_or_the_handler()
    {
        var appSettings = await AppSettingsAsync();
        var read = FunctionJsonSettings().Select(n => n.Setting).Concat(HandlerSettings().Select(h => h.Key)).Concat(HostSettings).ToHashSet();
        foreach (var setting in appSettings)
            Assert.True(read.Contains(setting) || read.Contains(setting.Split("__")[0]),
                $"infra/main.bicep sets {setting}, which no function.json, handler option or host setting reads (a misspelt name?)");
    }

    [GeneratedRegex("%([A-Za-z0-9_]+)%")]
    private static partial Regex Placeholder();
}
