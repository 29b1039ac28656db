using System.Net;
using System.Text.Json;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>The function app layout the Functions host reads, checked against the routes the handler serves.</summary>
public class ServeContractTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    private static readonly string AppDirectory = Path.Combine(AppContext.BaseDirectory);

    [Fact]
    public void Host_json_proxies_http_to_the_handler_executable_under_api()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json"))).RootElement;
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        var handler = host.GetProperty("customHandler");
        Assert.Equal("reco-handler", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.Equal("[4.*, 5.0.0)", host.GetProperty("extensionBundle").GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("Recommendations", "/api/recommendations/alice?market=DE")]
    [InlineData("SimilarItems", "/api/items/K1/similar?market=DE")]
    [InlineData("Popular", "/api/popular?market=DE")]
    [InlineData("Health", "/api/health")]
    [InlineData("OpenApi", "/api/openapi.json")]
    public async Task Each_function_has_one_http_trigger_and_output_whose_route_the_handler_answers(string function, string path)
    {
        var bindings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, function, "function.json"))).RootElement.GetProperty("bindings");
        Assert.Equal(2, bindings.GetArrayLength());
        var trigger = bindings.EnumerateArray().Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Single(bindings.EnumerateArray(), b => b.GetProperty("type").GetString() == "http" && b.GetProperty("direction").GetString() == "out");
        // The host sends /api/<route> as is: the route template, its parameters filled in, is the request path.
        var route = trigger.GetProperty("route").GetString()!;
        var template = "/api/" + route.Replace("{userId}", "alice").Replace("{itemId}", "K1");
        Assert.Equal(template, path.Split('?')[0]);
        var response = await world.Handler.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Root_answers_the_readiness_probe()
    {
        var response = await world.Handler.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
