using System.Text.Json;
using System.Text.RegularExpressions;

namespace ServerlessReco.Tests.Edge;

/// <summary>
/// The function app's function.json files (what the Functions host routes and guards) against the OpenAPI
/// document the handler generates from its endpoints (what the handler serves, with each operation's auth level).
/// </summary>
public partial class FunctionJsonTests
{
    private sealed record HttpFunction(string Name, string Path, string[] Methods, string AuthLevel);

    private static List<HttpFunction> HttpFunctions()
    {
        var functions = new List<HttpFunction>();
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory, "function.json", SearchOption.AllDirectories))
        {
            var trigger = JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("bindings").EnumerateArray()
                .FirstOrDefault(b => b.GetProperty("type").GetString() == "httpTrigger");
            if (trigger.ValueKind == JsonValueKind.Undefined) continue;
            functions.Add(new HttpFunction(
                Path.GetFileName(Path.GetDirectoryName(file))!,
                // host.json's routePrefix "api" is put before every route; OpenAPI writes a catch-all {*path} as {path}.
                "/api/" + trigger.GetProperty("route").GetString()!.Replace("{*", "{", StringComparison.Ordinal),
                [.. trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant())],
                trigger.GetProperty("authLevel").GetString()!));
        }
        return functions;
    }

    [Fact]
    public async Task Every_http_function_is_a_documented_operation_with_the_same_auth_level_and_the_reverse()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var document = await GeneratedDocument.FetchAsync(handler);
        var functions = HttpFunctions();
        Assert.True(functions.Count >= 10, $"only {functions.Count} HTTP functions found next to the tests");

        var declared = new HashSet<(string, string)>();
        foreach (var function in functions)
        {
            foreach (var method in function.Methods)
            {
                declared.Add((function.Path, method));
                var operation = document.Root.GetProperty("paths").TryGetProperty(function.Path, out var item) && item.TryGetProperty(method, out var found) ? found : default;
                Assert.True(operation.ValueKind == JsonValueKind.Object,
                    $"{function.Name}/function.json routes {method.ToUpperInvariant()} {function.Path}, which the OpenAPI document does not describe");
                Assert.True(operation.TryGetProperty("x-auth-level", out var level), $"{method.ToUpperInvariant()} {function.Path} states no x-auth-level");
                Assert.True(function.AuthLevel == level.GetString(),
                    $"{function.Name}/function.json has authLevel {function.AuthLevel}; the endpoint declares {level.GetString()}");
                var routeParameters = RouteParameter().Matches(function.Path).Select(m => m.Groups[1].Value).Order().ToList();
                List<string> documented = operation.TryGetProperty("parameters", out var parameters)
                    ? [.. parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()!).Order()]
                    : [];
                Assert.Equal(routeParameters, documented);
            }
        }
        foreach (var (path, method, _) in document.Operations())
            Assert.True(declared.Contains((path, method)), $"{method.ToUpperInvariant()} {path} is documented but no function.json routes it to the handler");
    }

    [GeneratedRegex(@"\{\*?([A-Za-z]+)\}")]
    private static partial Regex RouteParameter();
}
