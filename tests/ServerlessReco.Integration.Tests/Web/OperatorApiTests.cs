using System.Net;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Web;

/// <summary>The console's JSON functions and the page route over a real socket, against azurite.</summary>
public sealed class OperatorApiTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    private RunningHandler handler => world.Handler;

    /// <summary>Present and not null: the answers write absent values as null.</summary>
    private static bool Named(JsonElement element, string property) => element.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task A_minted_shopper_token_opens_that_shoppers_recommendations_and_no_one_elses()
    {
        var response = await handler.Anonymous.PostAsync("/api/console/shopper-tokens", Json("""{"userId":"alice","hours":0.5}"""));
        var minted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expires = minted.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(29), DateTimeOffset.UtcNow.AddMinutes(31));

        foreach (var (user, status) in new[] { ("alice", HttpStatusCode.OK), ("bob", HttpStatusCode.Forbidden) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/recommendations/{user}?market=DE");
            request.Headers.Authorization = new(ShopperTokens.Scheme, minted.GetProperty("token").GetString());
            Assert.Equal(status, (await handler.Anonymous.SendAsync(request)).StatusCode);
        }
    }

    [Theory]
    [InlineData("""{"hours":1}""", "userId")]
    [InlineData("""{"userId":""}""", "userId")]
    [InlineData("""{"userId":"a\u0001b"}""", "userId")]
    [InlineData("""{"userId":"alice","hours":0}""", "hours")]
    [InlineData("""{"userId":"alice","hours":25}""", "hours")]
    [InlineData("""{"userId":"alice","hours":"soon"}""", "hours")]
    [InlineData("""{"userId":7}""", "userId")]
    public async Task A_bad_token_request_is_a_400_naming_the_field(string body, string field)
    {
        var problem = await ProblemAsync(await handler.Anonymous.PostAsync("/api/console/shopper-tokens", Json(body)), HttpStatusCode.BadRequest);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Pages_come_from_the_assembly_with_their_type_and_a_strict_policy_and_anything_else_is_a_404()
    {
        foreach (var (file, type) in new[] { ("preview.html", "text/html"), ("console.html", "text/html"), ("charts.js", "text/javascript"), ("ui.css", "text/css") })
        {
            var response = await handler.Anonymous.GetAsync("/api/ui/" + file);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
            var source = Path.Combine(Repository.Root, "functions", "ServerlessReco.Api", "web", file);
            Assert.Equal(await File.ReadAllBytesAsync(source), await response.Content.ReadAsByteArrayAsync());
        }
        using var noRedirect = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = handler.Address };
        var root = await noRedirect.GetAsync("/api/ui/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/api/ui/preview.html", root.Headers.Location?.OriginalString);
        foreach (var missing in new[] { "/api/ui/nope.html", "/api/ui/../host.json", "/api/ui/%2E%2E%2Fhost.json", "/api/ui/web/preview.html" })
            await ProblemAsync(await handler.Anonymous.GetAsync(missing), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_catalogue_view_counts_titles_per_language_and_items_missing_a_translation()
    {
        var catalog = await ServeWorld.GetJsonAsync(handler, "/api/console/catalog");
        var items = ServeWorld.Catalog();
        Assert.Equal(items.Count, catalog.GetProperty("items").GetInt32());
        Assert.Equal(items.Count(i => i.InStock), catalog.GetProperty("inStock").GetInt32());
        var languages = catalog.GetProperty("languages").EnumerateArray().ToDictionary(l => l.GetProperty("language").GetString()!);
        // K1 has de, de-AT and fr; K4 de. Every item is sold in DE, FR, AT and GB but K2, sold only in France: so every
        // item but K1 lacks fr, and every one but K1, K4 and K2 lacks de.
        Assert.Equal(25, items.Count);
        Assert.Equal(25, languages["en"].GetProperty("items").GetInt32());
        Assert.Equal(2, languages["de"].GetProperty("translated").GetInt32());
        Assert.Equal(22, languages["de"].GetProperty("missing").GetInt32());
        Assert.Equal(1, languages["fr"].GetProperty("translated").GetInt32());
        Assert.Equal(24, languages["fr"].GetProperty("missing").GetInt32());
        Assert.Equal(24, catalog.GetProperty("withoutTranslations").GetInt32());
        Assert.DoesNotContain("K1", catalog.GetProperty("examplesWithoutTranslations").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Ingestion_counts_accepted_duplicate_and_rejected_events_and_lists_the_newest_dead_letters_first()
    {
        var before = await ServeWorld.GetJsonAsync(handler, "/api/console/ingestion");
        var id = "ing-" + Guid.NewGuid().ToString("N");
        var good = $$"""{"eventId":"{{id}}","userId":"u-{{id}}","itemId":"K1","type":"view","market":"DE","timestamp":"{{DateTimeOffset.UtcNow:O}}"}""";
        (await handler.Anonymous.PostAsync("/api/events", Json($"[{good},{good}]"))).EnsureSuccessStatusCode();
        (await handler.Anonymous.PostAsync("/api/events", Json("""[{"eventId":"first-bad","userId":"u","itemId":"K1","type":"view","market":"XX","timestamp":"2026-01-01T00:00:00Z"}]"""))).EnsureSuccessStatusCode();
        await Task.Delay(20);
        (await handler.Anonymous.PostAsync("/api/events", Json("""[{"eventId":"second-bad","userId":"u","itemId":"K1","type":"teleport","market":"DE","timestamp":"2026-01-01T00:00:00Z"}]"""))).EnsureSuccessStatusCode();

        var after = await ServeWorld.GetJsonAsync(handler, "/api/console/ingestion");
        int Sum(JsonElement answer, string name) => answer.GetProperty("minutes").EnumerateArray().Sum(m => m.GetProperty(name).GetInt32());
        int Field(JsonElement answer, string field) => answer.GetProperty("minutes").EnumerateArray()
            .Sum(m => m.GetProperty("rejectedByField").TryGetProperty(field, out var n) ? n.GetInt32() : 0);
        Assert.Equal(1, Sum(after, "accepted") - Sum(before, "accepted"));
        Assert.Equal(1, Sum(after, "duplicates") - Sum(before, "duplicates"));
        Assert.Equal(2, Sum(after, "rejected") - Sum(before, "rejected"));
        Assert.Equal(1, Field(after, "market") - Field(before, "market"));
        Assert.Equal(1, Field(after, "type") - Field(before, "type"));

        var letters = after.GetProperty("recentDeadLetters").EnumerateArray().ToList();
        Assert.Contains("second-bad", letters[0].GetProperty("raw").GetString());
        Assert.True(letters[0].GetProperty("reasons").TryGetProperty("type", out _));
        Assert.Contains("first-bad", letters[1].GetProperty("raw").GetString());
        Assert.True(after.GetProperty("deadLettersPerDay")[0].GetProperty("count").GetInt32() >= 2);
    }

    [Fact]
    public async Task Model_versions_come_newest_first_with_the_serving_one_marked()
    {
        var models = await ServeWorld.GetJsonAsync(handler, "/api/console/models");
        Assert.Equal("v1", models.GetProperty("serving").GetString());
        Assert.Equal("v1", models.GetProperty("published").GetProperty("version").GetString());
        var v1 = Assert.Single(models.GetProperty("versions").EnumerateArray());
        Assert.True(v1.GetProperty("serving").GetBoolean());
        Assert.Equal(ServeWorld.K, v1.GetProperty("training").GetProperty("als").GetProperty("factors").GetInt32());
        Assert.True(!v1.TryGetProperty("evaluation", out var evaluation) || evaluation.ValueKind == JsonValueKind.Null, $"v1 has no evaluation, not {evaluation}");
    }

    [Fact]
    public async Task The_online_view_answers_without_a_report_then_with_the_stored_one()
    {
        var store = await ServeWorld.PublishedStoreAsync();
        await using var own = await ServeWorld.StartAsync(store);
        var none = await ServeWorld.GetJsonAsync(own, "/api/console/online");
        Assert.False(Named(none, "report"), $"no report yet, not {none}");

        var report = BrowserWorld.OnlineReport();
        await new OnlineReportStore(store.Blobs).WriteAsync(report);
        var online = (await ServeWorld.GetJsonAsync(own, "/api/console/online")).GetProperty("report");
        Assert.True(online.GetProperty("simulated").GetBoolean());
        Assert.Equal("exp-7", online.GetProperty("experiment").GetString());
        var rows = online.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(report.Rows.Select(r => (r.Arm == Arm.Control ? "control" : "challenger", r.Market, r.ClickThrough.Value, r.ClickThrough.Low, r.ClickThrough.High)),
            rows.Select(r => (r.GetProperty("arm").GetString()!, r.GetProperty("market").GetString()!, r.GetProperty("clickThrough").GetProperty("value").GetDouble(),
                r.GetProperty("clickThrough").GetProperty("low").GetDouble(), r.GetProperty("clickThrough").GetProperty("high").GetDouble())));
        Assert.Equal(report.Differences[1].PValue, online.GetProperty("differences")[1].GetProperty("pValue").GetDouble());
        Assert.Equal(9, online.GetProperty("unattributed").GetProperty("unknown-id").GetInt64());
    }

    [Fact]
    public async Task A_running_experiment_marks_its_challenger_and_share_beside_the_current_version()
    {
        var store = await ServeWorld.PublishedStoreAsync();
        await store.Models.WriteVersionAsync(ServeWorld.Model("v2"));
        await using var own = await ServeWorld.StartAsync(store);
        var before = await ServeWorld.GetJsonAsync(own, "/api/console/models");
        Assert.All(before.GetProperty("versions").EnumerateArray(), v => Assert.False(Named(v, "challengerIn"), $"no experiment yet: {v}"));

        await store.Models.StartExperimentAsync(null, "v2", 0.2, "exp-console");
        JsonElement models;
        // The watcher loads the challenger on its next look at current.json.
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(100))
        {
            models = await ServeWorld.GetJsonAsync(own, "/api/console/models");
            if (Named(models, "servingChallenger") || DateTime.UtcNow > deadline) break;
        }
        Assert.Equal("v2", models.GetProperty("servingChallenger").GetString());
        Assert.Equal("v1", models.GetProperty("serving").GetString());
        var versions = models.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("version").GetString()!);
        var challenger = versions["v2"];
        Assert.True(challenger.GetProperty("servingAsChallenger").GetBoolean());
        Assert.False(challenger.GetProperty("serving").GetBoolean());
        Assert.Equal("exp-console", challenger.GetProperty("challengerIn").GetProperty("id").GetString());
        Assert.Equal(0.2, challenger.GetProperty("challengerIn").GetProperty("share").GetDouble());
        Assert.True(versions["v1"].GetProperty("serving").GetBoolean());
        Assert.False(versions["v1"].GetProperty("servingAsChallenger").GetBoolean());
        Assert.False(Named(versions["v1"], "challengerIn"));
    }
}
