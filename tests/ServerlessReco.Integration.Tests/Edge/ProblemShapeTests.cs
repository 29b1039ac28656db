using System.Net;
using System.Text;
using System.Text.Json;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Edge;

/// <summary>Every 4xx and 5xx, the handlers' own and the framework's, is Problem Details of one documented shape.</summary>
public class ProblemShapeTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    public static TheoryData<string, string, string?, int> Errors => new()
    {
        { "GET", "/api/no-such-route", null, 404 },
        { "GET", "/nothing/here", null, 404 },
        { "PATCH", "/api/popular", null, 405 },
        { "DELETE", "/api/events", null, 405 },
        { "GET", "/api/popular?market=XX", null, 400 },
        { "GET", $"/api/recommendations/{new string('u', 300)}?market=DE", null, 400 },
        { "GET", "/api/items/%01", null, 400 },
        { "GET", "/api/items/nope/similar?market=DE", null, 404 },
        { "GET", "/api/items/absent", null, 404 },
        { "POST", "/api/events", "not json", 400 },
        { "PUT", "/api/items", "{}", 400 },
        { "PATCH", "/api/items/K1", """{"inStock": "no"}""", 400 },
        { "POST", "/api/events", "[" + string.Join(",", Enumerable.Repeat("{}", 501)) + "]", 413 },
        { "POST", "/api/translate", """{"texts": []}""", 400 },
        { "POST", "/api/translate", """{"texts": ["Hallo"], "to": ["en"]}""", 503 },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Error_answers_are_problem_details_of_the_documented_shape(string method, string path, string? body, int status)
    {
        await AssertProblemAsync(world.Handler, method, path, body, status);
    }

    [Fact]
    public async Task Before_a_model_is_published_serving_is_503_problem_details()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore(), ServeWorld.Settings);
        await AssertProblemAsync(handler, "GET", "/api/popular?market=DE", null, 503);
    }

    [Fact]
    public async Task A_request_the_framework_refuses_is_problem_details_too()
    {
        // A malformed chunked body: Kestrel throws while the handler reads it, and the exception handler answers.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(world.Handler.Address.Host, world.Handler.Address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /api/events HTTP/1.1\r\nHost: reco\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n"));
        var answer = "";
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!answer.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer, timeout.Token) is var read and > 0)
            answer += Encoding.UTF8.GetString(buffer, 0, read);

        Assert.StartsWith("HTTP/1.1 400 ", answer);
        Assert.Contains("Content-Type: application/problem+json", answer);
        // One chunk: its size line, then the JSON.
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Split("\r\n")[1];
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal("Bad chunk size data.", problem.GetProperty("detail").GetString());
        Assert.True(problem.TryGetProperty("traceId", out _));
    }

    private static async Task AssertProblemAsync(RunningHandler handler, string method, string path, string? body, int status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await handler.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        await ProblemShape.AssertAsync(handler, response, status);
    }
}

/// <summary>The one Problem Details shape; also checked where storage is down (StorageFailureTests), the 5xx the handlers write themselves.</summary>
public static class ProblemShape
{
    public static async Task AssertAsync(RunningHandler handler, HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        foreach (var field in new[] { "type", "title", "detail", "traceId" })
            Assert.True(problem.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0, $"{field} missing: {text}");

        // Every documented error status of every operation uses this one schema.
        var document = await GeneratedDocument.FetchAsync(handler);
        var refs = document.Operations().SelectMany(o => o.Operation.GetProperty("responses").EnumerateObject()
            .Where(r => r.Name[0] is '4' or '5')
            .Select(r => r.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString()))
            .Distinct().ToList();
        Assert.Equal(["#/components/schemas/HttpValidationProblemDetails"], refs);
        Assert.Null(GeneratedDocument.Check(document.ResponseSchema("/api/popular", "get", 400), problem));
    }
}
