using System.Net;
using System.Text;
using System.Text.Json;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Edge;

/// <summary>
/// Responses of the main endpoints, called over HTTP against azurite with ServeWorld's model published,
/// validated against the schemas of the OpenAPI document the handler generates.
/// </summary>
public class ContractTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    public static TheoryData<string, string, string, string?> Calls => new()
    {
        { "get", "/api/recommendations/{userId}", "/api/recommendations/alice?market=DE&locale=de-AT&count=5", null },
        { "get", "/api/recommendations/{userId}", "/api/recommendations/never-seen?market=FR", null },
        { "get", "/api/items/{itemId}/similar", "/api/items/K1/similar?market=DE", null },
        { "get", "/api/popular", "/api/popular?market=DE&category=garden", null },
        { "get", "/api/health", "/api/health", null },
        { "get", "/api/items/{itemId}", "/api/items/K1", null },
        { "put", "/api/items", "/api/items", """[{"id": "C1", "category": "kitchen", "title": "Cup", "markets": ["DE"]}, {"id": ""}]""" },
        { "patch", "/api/items/{itemId}", "/api/items/K4", """{"inStock": true}""" },
        { "post", "/api/events", "/api/events",
            $$"""[{"eventId": "contract-1", "userId": "carol", "itemId": "K1", "type": "view", "timestamp": "{{DateTimeOffset.UtcNow.AddMinutes(-1):O}}", "market": "DE"}, {"eventId": "contract-2"}]""" },
        { "delete", "/api/users/{userId}", "/api/users/carol", null },
        { "get", "/api/console/storefront", "/api/console/storefront", null },
        { "post", "/api/console/shopper-tokens", "/api/console/shopper-tokens", """{"userId": "alice"}""" },
        { "get", "/api/console/models", "/api/console/models", null },
        { "get", "/api/console/ingestion", "/api/console/ingestion", null },
        { "get", "/api/console/catalog", "/api/console/catalog", null },
        { "get", "/api/console/online", "/api/console/online", null },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_200_answer_matches_the_documented_schema(string method, string route, string path, string? body)
    {
        var document = await GeneratedDocument.FetchAsync(world.Handler);
        var answer = await SendAsync(method, path, body);
        Assert.True(answer.Status == HttpStatusCode.OK, $"{method} {path}: {(int)answer.Status} {answer.Body}");
        var schema = document.ResponseSchema(route, method, 200);
        Assert.Null(GeneratedDocument.Check(schema, answer.Body));
    }

    [Fact]
    public async Task The_schemas_refuse_a_response_missing_a_field_or_carrying_an_undocumented_one()
    {
        var document = await GeneratedDocument.FetchAsync(world.Handler);
        var schema = document.ResponseSchema("/api/recommendations/{userId}", "get", 200);
        var answer = (await SendAsync("get", "/api/recommendations/alice?market=DE", null)).Body;
        Assert.Null(GeneratedDocument.Check(schema, answer));

        var missing = System.Text.Json.Nodes.JsonNode.Parse(answer.GetRawText())!.AsObject();
        missing.Remove("modelVersion");
        Assert.NotNull(GeneratedDocument.Check(schema, JsonSerializer.SerializeToElement(missing)));
        var extra = System.Text.Json.Nodes.JsonNode.Parse(answer.GetRawText())!.AsObject();
        extra["items"]![0]!["internalScore"] = 1;
        Assert.NotNull(GeneratedDocument.Check(schema, JsonSerializer.SerializeToElement(extra)));
    }

    [Theory]
    [InlineData("post", "/api/events", "sessionId")]
    [InlineData("put", "/api/items", "sourceLanguage")]
    [InlineData("patch", "/api/items/{itemId}", "addMarkets")]
    [InlineData("post", "/api/translate", "texts")]
    public async Task Json_bodies_are_documented_and_only_json_is_taken(string method, string route, string field)
    {
        var document = await GeneratedDocument.FetchAsync(world.Handler);
        var operation = document.Operation(route, method);
        var body = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Contains($"\"{field}\"", body.GetRawText());
        Assert.True(operation.GetProperty("responses").TryGetProperty("415", out _), $"{method} {route} does not document 415");

        // Changed on purpose (issue 13): a text/plain body used to be taken, which let any web page post it cross-site
        // without a CORS preflight. Only JSON is taken now; HostileInputTests covers forms and a missing Content-Type.
        var path = route.Replace("{itemId}", "K4");
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path) { Content = new StringContent("[]", Encoding.UTF8, "text/plain") };
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await world.Handler.Client.SendAsync(request)).StatusCode);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await world.Handler.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
