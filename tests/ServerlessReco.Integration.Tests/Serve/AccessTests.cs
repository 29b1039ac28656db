using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Tests.Edge;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>Who may read what, over real sockets: a shopper's recommendations only with that shopper's token.</summary>
public class AccessTests
{
    private const string Dora = "/api/recommendations/dora?market=DE&count=5";

    private static async Task<(HttpStatusCode Status, JsonElement Problem, HttpResponseMessage Response)> GetAsync(RunningHandler handler, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await handler.Anonymous.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone(), response);
    }

    [Fact]
    public async Task Recommendations_answer_only_with_the_shoppers_own_token()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var tokens = handler.Services.GetRequiredService<ShopperTokens>();
        var valid = "Bearer " + tokens.Mint("dora", DateTimeOffset.UtcNow.AddMinutes(5));

        foreach (var (authorization, status, title) in new (string?, HttpStatusCode, string)[]
        {
            (null, HttpStatusCode.Unauthorized, "Shopper token required"),
            ("Bearer not-a-token", HttpStatusCode.Unauthorized, "Invalid shopper token"),
            ("Bearer " + tokens.Mint("dora", DateTimeOffset.UtcNow.AddSeconds(-1)), HttpStatusCode.Unauthorized, "Shopper token expired"),
            ("Bearer " + tokens.Mint("alice", DateTimeOffset.UtcNow.AddMinutes(5)), HttpStatusCode.Forbidden, "Not this shopper's token"),
            ("Bearer " + new ShopperTokens("another-deployments-secret-0123456789", TimeProvider.System).Mint("dora", DateTimeOffset.UtcNow.AddMinutes(5)), HttpStatusCode.Forbidden, "Not this shopper's token"),
        })
        {
            var (actual, problem, response) = await GetAsync(handler, Dora, authorization);
            Assert.True(status == actual, $"{authorization}: {(int)actual} {problem}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(title, problem.GetProperty("title").GetString());
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.DoesNotContain("G1", problem.ToString());
            if (status == HttpStatusCode.Unauthorized) Assert.Equal([new AuthenticationHeaderValue("Bearer")], response.Headers.WwwAuthenticate);
        }

        var (ok, answer, _) = await GetAsync(handler, Dora, valid);
        Assert.Equal(HttpStatusCode.OK, ok);
        var reason = answer.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal(("because-you-bought", "G1"), (reason.GetProperty("kind").GetString(), reason.GetProperty("itemId").GetString()));
    }

    [Fact]
    public async Task Bad_input_from_a_caller_without_a_token_learns_only_that_a_token_is_needed()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var (status, problem, _) = await GetAsync(handler, "/api/recommendations/dora?market=XX", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Shopper token required", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Every_operation_about_one_shopper_needs_a_function_key_or_the_shoppers_token()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var document = await GeneratedDocument.FetchAsync(handler);
        var personal = document.Operations().Where(o => o.Path.Contains("{userId}", StringComparison.Ordinal)).ToList();
        Assert.Equal([("/api/recommendations/{userId}", "get"), ("/api/users/{userId}", "delete")], personal.Select(o => (o.Path, o.Method)).Order());
        foreach (var (path, method, operation) in personal)
        {
            bool key = operation.GetProperty("x-auth-level").GetString() == "function";
            bool token = operation.TryGetProperty("x-shopper-token", out var t) && t.GetBoolean();
            Assert.True(key || token, $"{method} {path} is open to anyone");
        }
        Assert.True(document.Operation("/api/recommendations/{userId}", "get").GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(document.Operation("/api/recommendations/{userId}", "get").GetProperty("responses").TryGetProperty("403", out _));
    }
}
