using System.Text.Json;

namespace ServerlessReco.Tests.Worker;

/// <summary>
/// The functions.metadata the Worker SDK generates from the worker's [Function] attributes (what the Functions host
/// routes and guards in the isolated-worker app) against the custom handler's function.json files: the two apps
/// offer the same functions, routes, methods, auth levels and schedules. A function.json added without its worker
/// function fails here.
/// </summary>
public class FunctionsMetadataTests
{
    /// <summary>Triggers whose worker extension is not served: these functions stay on the custom handler (README.md, "Two hosts").</summary>
    private static readonly HashSet<string> CustomHandlerOnlyTriggers = ["eventHubTrigger"];

    private sealed record Trigger(string Type, string? Route, string[] Methods, string? AuthLevel, string? Schedule);

    private static Trigger Read(JsonElement trigger) => new(
        trigger.GetProperty("type").GetString()!,
        trigger.TryGetProperty("route", out var route) ? route.GetString() : null,
        trigger.TryGetProperty("methods", out var methods) ? [.. methods.EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order()] : [],
        trigger.TryGetProperty("authLevel", out var level) ? level.GetString()!.ToLowerInvariant() : null,
        trigger.TryGetProperty("schedule", out var schedule) ? schedule.GetString() : null);

    private static JsonElement TriggerOf(JsonElement bindings) =>
        Assert.Single(bindings.EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    /// <summary>The handler's function folders in the source tree: what a deployment of the custom handler offers.</summary>
    private static Dictionary<string, Trigger> CustomHandlerFunctions() =>
        Directory.GetDirectories(Path.Combine(Repository.Root, "functions", "ServerlessReco.Functions"))
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .ToDictionary(d => Path.GetFileName(d),
                d => Read(TriggerOf(JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "function.json"))).RootElement.GetProperty("bindings"))));

    /// <summary>The worker's functions.metadata, from its build output of the configuration these tests were built in.</summary>
    private static Dictionary<string, Trigger> WorkerFunctions()
    {
        var file = WorkerHost.BuildOutput("functions.metadata");
        Assert.True(File.Exists(file), $"{file} is missing: the worker's build did not generate it");
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => Read(TriggerOf(f.GetProperty("bindings"))));
    }

    [Fact]
    public void The_worker_offers_every_function_of_the_custom_handler_with_the_same_trigger()
    {
        var handler = CustomHandlerFunctions();
        var worker = WorkerFunctions();
        Assert.True(handler.Count >= 12, $"only {handler.Count} function.json files found");
        Assert.Contains(handler.Values, t => t.Type == "httpTrigger");
        Assert.Contains(handler.Values, t => t.Type == "timerTrigger");

        foreach (var (name, expected) in handler)
        {
            if (CustomHandlerOnlyTriggers.Contains(expected.Type))
            {
                Assert.False(worker.ContainsKey(name), $"{name} ({expected.Type}) is in the worker, whose extension for it is not served");
                continue;
            }
            Assert.True(worker.TryGetValue(name, out var actual), $"{name}/function.json has no [Function(\"{name}\")] in ServerlessReco.Functions.Worker");
            Assert.True(new TriggerComparer().Equals(expected, actual), $"{name}: function.json has {Describe(expected)}; the worker has {Describe(actual)}");
        }
        foreach (var name in worker.Keys)
            Assert.True(handler.ContainsKey(name), $"the worker has function {name}, which the custom handler has no function.json for");
    }

    [Fact]
    public void The_comparison_tells_a_changed_route_method_auth_level_or_schedule()
    {
        var popular = WorkerFunctions()["Popular"];
        var comparer = new TriggerComparer();
        Assert.True(comparer.Equals(popular, popular with { Methods = [.. popular.Methods] }));
        Assert.False(comparer.Equals(popular, popular with { Route = "popular/{market}" }));
        Assert.False(comparer.Equals(popular, popular with { Methods = ["get", "post"] }));
        Assert.False(comparer.Equals(popular, popular with { AuthLevel = "function" }));
        var timer = WorkerFunctions()["TranslateCatalog"];
        Assert.False(comparer.Equals(timer, timer with { Schedule = "0 0 * * * *" }));
    }

    private static string Describe(Trigger t) =>
        $"{t.Type} route {t.Route ?? "-"}, methods {string.Join(",", t.Methods)}, auth level {t.AuthLevel ?? "-"}, schedule {t.Schedule ?? "-"}";

    private sealed class TriggerComparer : IEqualityComparer<Trigger>
    {
        public bool Equals(Trigger? x, Trigger? y) => x is not null && y is not null
            && x.Type == y.Type && x.Route == y.Route && x.Methods.SequenceEqual(y.Methods) && x.AuthLevel == y.AuthLevel && x.Schedule == y.Schedule;

        public int GetHashCode(Trigger t) => HashCode.Combine(t.Type, t.Route, t.AuthLevel, t.Schedule);
    }
}
