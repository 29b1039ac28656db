using System.Net;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Feedback;
using ServerlessReco.Jobs.Feedback;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Serve;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Feedback;

/// <summary>Recommendation ids, impressions, attribution and experiments over real sockets and azurite.</summary>
public class FeedbackTests
{
    private static async Task<RunningHandler> StartAsync(DataStore store, Dictionary<string, string?> extra)
    {
        var settings = Settings;
        foreach (var (k, v) in extra) settings[k] = v;
        var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        return handler;
    }

    private static ImpressionRecorder Recorder(RunningHandler handler) => handler.Services.GetRequiredService<ImpressionRecorder>();

    [Fact]
    public async Task Every_ranked_answer_carries_an_id_and_its_items_are_written_as_impressions()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "0.2" });

        var answers = new[]
        {
            await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=5"),
            await GetJsonAsync(handler, "/api/items/K1/similar?market=DE&count=5"),
            await GetJsonAsync(handler, "/api/popular?market=FR&count=5"),
        };
        foreach (var answer in answers)
        {
            Assert.True(RecommendationIds.IsWellFormed(answer.GetProperty("recommendationId").GetString()), answer.ToString());
            Assert.Equal("control", answer.GetProperty("arm").GetString());
            Assert.Equal("v1", answer.GetProperty("modelVersion").GetString());
            Assert.Null(Experiment(answer));
        }
        Assert.Equal(["als", "similar-items", "popularity"], answers.Select(a => a.GetProperty("strategy").GetString()));
        Assert.Equal(3, answers.Select(a => a.GetProperty("recommendationId").GetString()).Distinct().Count());

        var log = new ImpressionLog(store.Blobs);
        List<Impression> written = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline && written.Count < 15; await Task.Delay(200))
            written = await log.ReadAsync(DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(15, written.Count);
        var popular = answers[2];
        var shown = written.Where(i => i.RecommendationId == popular.GetProperty("recommendationId").GetString()).OrderBy(i => i.Position).ToList();
        Assert.Equal(ItemsOf(popular), shown.Select(i => i.Item));
        Assert.Equal([0, 1, 2, 3, 4], shown.Select(i => i.Position));
        Assert.All(shown, i => Assert.Equal(("FR", ServerlessReco.Rank.Strategy.Popularity, "v1", Arm.Control), (i.Market, i.Strategy, i.ModelVersion, i.Arm)));
    }

    [Fact]
    public async Task Stopping_the_handler_writes_what_is_queued()
    {
        var store = await PublishedStoreAsync();
        var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "3600" });
        for (int i = 0; i < 4; i++) await GetJsonAsync(handler, "/api/popular?market=DE&count=10");
        Assert.Equal(40, Recorder(handler).QueueDepth);
        Assert.Empty(await new ImpressionLog(store.Blobs).ReadAsync(null));
        await handler.DisposeAsync();
        Assert.Equal(40, (await new ImpressionLog(store.Blobs).ReadAsync(null)).Count);
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_an_answers_impressions_whole_and_the_request_still_answers()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "3600", [FeedbackOptions.QueueCapacityKey] = "15" });
        var first = await GetJsonAsync(handler, "/api/popular?market=DE&count=10");
        var second = await GetJsonAsync(handler, "/api/popular?market=DE&count=10");
        Assert.Equal(10, ItemsOf(first).Count);
        Assert.Equal(10, ItemsOf(second).Count);
        // The second answer's ten would take the queue past 15: none of them is kept, rather than the first five.
        Assert.Equal(10, Recorder(handler).QueueDepth);
        Assert.Equal(10, Recorder(handler).Dropped);
    }

    [Fact]
    public async Task Unusable_ids_are_accepted_with_a_warning_and_report_time_attribution_respects_the_window()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "0.2" });
        var answer = await GetJsonAsync(handler, "/api/recommendations/bob?market=DE&count=3");
        var id = answer.GetProperty("recommendationId").GetString()!;
        var items = ItemsOf(answer);
        var now = DateTimeOffset.UtcNow;
        string Event(string eventId, string item, string type, DateTimeOffset at, string? recommendationId) => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["eventId"] = eventId, ["userId"] = "bob", ["itemId"] = item, ["type"] = type, ["market"] = "DE", ["value"] = 4.0, ["quantity"] = 2,
            ["timestamp"] = at.ToString("O"), ["recommendationId"] = recommendationId,
        });
        var body = "[" + string.Join(',',
            Event("c1", items[0], "click", now, id),
            Event("p1", items[0], "purchase", now.AddMinutes(3), id),
            Event("x1", items[1], "click", now, "not-an-id"),
            Event("u1", items[1], "click", now, new string('0', 32)),
            Event("n1", "K6", "click", now, id)) + "]";
        var posted = await handler.Client.PostAsync("/api/events", new StringContent(body, Encoding.UTF8, "application/json"));
        var result = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(5, result.GetProperty("accepted").GetInt32());
        var warned = result.GetProperty("results").EnumerateArray().Where(r => r.TryGetProperty("warnings", out var w) && w.ValueKind != JsonValueKind.Null).ToList();
        Assert.Equal("x1", Assert.Single(warned).GetProperty("eventId").GetString());
        Assert.Contains("recommendationId", warned[0].GetProperty("warnings").EnumerateObject().Select(p => p.Name));

        await WaitForImpressionsAsync(store, id, items.Count);
        var (report, storedAt) = await OnlineReportJob.RunAsync(store, now.AddHours(-1), null, OnlineMetrics.DefaultWindow, null, CancellationToken.None);
        var row = report.Rows.Single(r => r.Strategy == OnlineMetrics.All && r.Market == OnlineMetrics.All);
        Assert.Equal(items.Count, row.Impressions);
        Assert.Equal(1, row.ClickThrough.Count);
        Assert.Equal(1, row.Purchase.Count);
        Assert.Equal(8.0, row.Revenue, 9);
        Assert.Equal(1, report.Unattributed[UnattributedReason.MalformedId]);
        Assert.Equal(1, report.Unattributed[UnattributedReason.UnknownId]);
        Assert.Equal(1, report.Unattributed[UnattributedReason.ItemNotShown]);
        Assert.False(report.Simulated);
        Assert.Equal(report.Impressions, (await new OnlineReportStore(store.Blobs).ReadLatestAsync())!.Impressions);
        Assert.StartsWith("reports/online/", storedAt);

        // A two-minute window leaves the purchase three minutes later out.
        var (narrow, _) = await OnlineReportJob.RunAsync(store, now.AddHours(-1), null, TimeSpan.FromMinutes(2), null, CancellationToken.None);
        Assert.Equal(0, narrow.Rows.Single(r => r.Strategy == OnlineMetrics.All && r.Market == OnlineMetrics.All).Purchase.Count);
        Assert.Equal(1, narrow.Unattributed[UnattributedReason.OutsideWindow]);
    }

    [Fact]
    public async Task An_experiment_is_started_promoted_and_stopped_while_serving()
    {
        var store = await PublishedStoreAsync();
        await store.Models.WriteVersionAsync(Model("v2"));
        await using var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "0.5" });
        string[] shoppers = [.. Enumerable.Range(0, 40).Select(i => "visitor-" + i)];

        await store.Models.StartExperimentAsync(null, "v2", 0.5, "exp-a");
        var answers = await AnswersAsync(handler, shoppers, "exp-a");
        foreach (var (shopper, answer) in shoppers.Zip(answers))
        {
            var arm = ArmAssignment.Assign("exp-a", Pseudonyms.Pseudonymize(shopper), 0.5);
            Assert.Equal(arm == Arm.Challenger ? "challenger" : "control", answer.Recommendations.GetProperty("arm").GetString());
            Assert.Equal(arm == Arm.Challenger ? "v2" : "v1", answer.Recommendations.GetProperty("modelVersion").GetString());
            // An anonymous visitor naming the same id on popular lands in the same arm.
            Assert.Equal(answer.Recommendations.GetProperty("arm").GetString(), answer.Popular.GetProperty("arm").GetString());
            Assert.Equal("exp-a", answer.Popular.GetProperty("experiment").GetString());
        }
        Assert.Contains(answers, a => a.Recommendations.GetProperty("arm").GetString() == "challenger");
        Assert.Contains(answers, a => a.Recommendations.GetProperty("arm").GetString() == "control");
        // Without an id there is nothing to assign: the published version answers.
        Assert.Equal("control", (await GetJsonAsync(handler, "/api/popular?market=DE")).GetProperty("arm").GetString());

        await store.Models.PromoteChallengerAsync();
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v2");
        foreach (var answer in await AnswersAsync(handler, shoppers, null))
            Assert.Equal(("v2", "control"), (answer.Recommendations.GetProperty("modelVersion").GetString(), answer.Recommendations.GetProperty("arm").GetString()));

        await store.Models.StartExperimentAsync(null, "v1", 0.5, "exp-b");
        await AnswersAsync(handler, shoppers, "exp-b");
        await store.Models.StopExperimentAsync();
        foreach (var answer in await AnswersAsync(handler, shoppers, null))
            Assert.Equal(("v2", "control"), (answer.Recommendations.GetProperty("modelVersion").GetString(), answer.Recommendations.GetProperty("arm").GetString()));
        Assert.Null((await store.Models.ReadCurrentAsync())!.Experiment);
    }

    [Fact]
    public async Task Publishing_refuses_a_challenger_equal_to_the_published_version_and_promote_without_an_experiment()
    {
        var store = await PublishedStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => store.Models.StartExperimentAsync(null, "v1", 0.1, null));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Models.PromoteChallengerAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Models.StopExperimentAsync());
        await store.Models.WriteVersionAsync(Model("v2"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.Models.StartExperimentAsync(null, "v2", 1.5, null));
    }

    [Fact]
    public async Task The_replay_plays_held_out_purchases_as_shoppers_and_the_report_says_simulated()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store, new() { [FeedbackOptions.FlushSecondsKey] = "0.2" });
        // Popular in DE is garden (G1..G6) first, so a German customer who bought G2 and G3 sees them; the one who bought only before the period is not played.
        var csv = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            "536365,G2,GARDEN TWO,3,2011-11-20 08:26:00,2.00,12345.0,Germany",
            "536365,G3,GARDEN THREE,1,2011-11-20 08:26:00,5.00,12345.0,Germany",
            "536366,K5,KITCHEN FIVE,1,2011-11-21 08:26:00,1.00,12345.0,Germany",
            "536367,G2,GARDEN TWO,1,2011-10-01 08:26:00,2.00,12346.0,Germany",
        ]);
        try
        {
            var result = await ReplayJob.RunAsync(store, handler.Address, csv, new DateTimeOffset(2011, 11, 9, 0, 0, 0, TimeSpan.Zero), 10, ServerlessReco.Jobs.IJobProgress.None, CancellationToken.None);
            Assert.Equal(1, result.Run.Shoppers);
            Assert.Equal(2, result.Run.Requests);
            await WaitForImpressionsAsync(store, null, 2 * ReplayJob.Count);
            // What was shown decides what the simulated shopper answers: the items of the period they bought.
            int expectedShown = (await new ImpressionLog(store.Blobs).ReadAsync(null)).Count(i => i.Item is "G2" or "G3" or "K5");
            Assert.InRange(expectedShown, 2, 6);
            Assert.Equal(expectedShown, result.ShownAndBought);
            Assert.Equal(3 * expectedShown, result.Run.EventsSent);
            var (report, _) = await OnlineReportJob.RunAsync(store, result.Run.Started.AddMinutes(-1), null, OnlineMetrics.DefaultWindow, null, CancellationToken.None);
            Assert.True(report.Simulated);
            Assert.Equal(expectedShown, report.Rows.Single(r => r.Strategy == OnlineMetrics.All && r.Market == OnlineMetrics.All).Purchase.Count);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Theory]
    [InlineData(FeedbackOptions.ImpressionsKey, "maybe")]
    [InlineData(FeedbackOptions.FlushSecondsKey, "0")]
    [InlineData(FeedbackOptions.QueueCapacityKey, "0")]
    public async Task An_invalid_impression_setting_stops_the_start_naming_it(string key, string value)
    {
        var settings = Settings;
        settings[key] = value;
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RunningHandler.StartAsync(TestStorage.NewStore(), settings));
        Assert.Contains(key, error.Message);
    }

    private static async Task WaitForImpressionsAsync(DataStore store, string? recommendationId, int count)
    {
        var log = new ImpressionLog(store.Blobs);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(200))
            if ((await log.ReadAsync(null)).Count(i => recommendationId is null || i.RecommendationId == recommendationId) >= count) return;
        throw new TimeoutException($"{count} impressions never reached storage");
    }

    /// <summary>Each shopper's recommendations and popular answers once every answer shows the expected experiment (polls until the handler has the new current.json).</summary>
    private static async Task<List<(JsonElement Recommendations, JsonElement Popular)>> AnswersAsync(RunningHandler handler, string[] shoppers, string? experiment)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(200))
        {
            var answers = new List<(JsonElement, JsonElement)>();
            foreach (var s in shoppers)
                answers.Add((await GetJsonAsync(handler, $"/api/recommendations/{s}?market=DE&count=3"), await GetJsonAsync(handler, $"/api/popular?market=DE&count=3&userId={s}")));
            if (answers.All(a => Experiment(a.Item1) == experiment && Experiment(a.Item2) == experiment)) return answers;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"answers never showed experiment {experiment ?? "(none)"}");
        }
    }

    private static string? Experiment(JsonElement answer) => answer.TryGetProperty("experiment", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
}
