using System.Net;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

public class BadInputTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    private RunningHandler handler => world.Handler;

    public static TheoryData<string, string> BadRequests => new()
    {
        { "/api/recommendations/alice", "market" },
        { "/api/recommendations/alice?market=XX", "market" },
        { "/api/recommendations/alice?market=DE&locale=de_AT", "locale" },
        { "/api/recommendations/alice?market=DE&locale=%3Cscript%3E", "locale" },
        { "/api/recommendations/alice?market=DE&count=0", "count" },
        { "/api/recommendations/alice?market=DE&strategy=deep", "strategy" },
        { "/api/recommendations/alice?market=DE&count=201", "count" },
        { "/api/recommendations/alice?market=DE&count=ten", "count" },
        { "/api/recommendations/alice?market=DE&diversity=1.5", "diversity" },
        { "/api/recommendations/alice?market=DE&crossCategory=maybe", "crossCategory" },
        { "/api/recommendations/alice?market=DE&includePurchased=2", "includePurchased" },
        { $"/api/recommendations/{new string('u', 257)}?market=DE", "userId" },
        { "/api/items/K1/similar?market=Germany", "market" },
        { "/api/items/K1/similar?market=DE&count=-1", "count" },
        { $"/api/items/{new string('i', 257)}/similar?market=DE", "itemId" },
        { "/api/popular?market=", "market" },
        { "/api/popular?market=FR&locale=fr-", "locale" },
        { "/api/popular?market=FR&count=1000", "count" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_400_problem_details_naming_the_parameter_in_errors(string path, string parameter)
    {
        var response = await handler.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal([parameter], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Contains(parameter, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_user_is_a_cold_start_not_an_error()
    {
        var answer = await GetJsonAsync(handler, "/api/recommendations/never-seen?market=FR&locale=fr-CA&count=200");
        Assert.Equal("popularity", answer.GetProperty("strategy").GetString());
        Assert.Equal("fr-CA", answer.GetProperty("locale").GetString());
    }
}
