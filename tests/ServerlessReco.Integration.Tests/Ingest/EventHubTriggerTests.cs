using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

/// <summary>The IngestEvents trigger driven with the invocation request exactly as the Functions host sends it.</summary>
public class EventHubTriggerTests
{
    /// <summary>
    /// What the host posts for an eventHubTrigger with cardinality many and dataType string: Json.NET sends the
    /// arrays as strings holding JSON, the partition context as an object.
    /// </summary>
    public static string HostPayload(IReadOnlyList<string> bodies, IReadOnlyList<DateTimeOffset> enqueued, long firstSequence = 100, bool encodeArrays = true)
    {
        JsonNode Encoded(JsonArray array) => encodeArrays ? JsonValue.Create(array.ToJsonString())! : array;
        var n = bodies.Count;
        return new JsonObject
        {
            ["Data"] = new JsonObject { ["events"] = Encoded(new JsonArray(bodies.Select(b => (JsonNode)JsonValue.Create(b)!).ToArray())) },
            ["Metadata"] = new JsonObject
            {
                ["TriggerPartitionContext"] = new JsonObject
                {
                    ["FullyQualifiedNamespace"] = "reco.servicebus.windows.net",
                    ["EventHubName"] = "events",
                    ["ConsumerGroup"] = "$Default",
                    ["PartitionId"] = "3",
                    ["IsCheckpointingAfterInvocation"] = true,
                },
                ["SequenceNumberArray"] = Encoded(new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode)(firstSequence + i)).ToArray())),
                ["EnqueuedTimeUtcArray"] = Encoded(new JsonArray(enqueued.Select(t => (JsonNode)t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")).ToArray())),
                ["OffsetArray"] = Encoded(new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode)(i * 512).ToString()).ToArray())),
                ["PartitionKeyArray"] = Encoded(new JsonArray(Enumerable.Range(0, n).Select(_ => (JsonNode?)null).ToArray())),
                ["PropertiesArray"] = Encoded(new JsonArray(Enumerable.Range(0, n).Select(_ => (JsonNode)new JsonObject()).ToArray())),
                ["SystemPropertiesArray"] = Encoded(new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode)new JsonObject { ["x-opt-sequence-number"] = firstSequence + i }).ToArray())),
                ["sys"] = new JsonObject { ["MethodName"] = "IngestEvents", ["UtcNow"] = DateTime.UtcNow.ToString("O"), ["RandGuid"] = Guid.NewGuid().ToString() },
            },
        }.ToJsonString();
    }

    [Fact]
    public async Task Host_payload_with_string_encoded_arrays_is_ingested_with_enqueued_time_kept()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var enqueued = new DateTimeOffset(DateTime.UtcNow.AddSeconds(-30).Ticks / 10_000 * 10_000, TimeSpan.Zero);
        var bodies = new[] { Event("eh-1").ToJsonString(), Event("eh-2", type: "click").ToJsonString() };
        var response = await handler.Client.PostAsync("/IngestEvents", Json(HostPayload(bodies, [enqueued, enqueued.AddSeconds(1)])));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.Equal(JsonValueKind.Object, answer.GetProperty("Outputs").ValueKind);
        Assert.Contains("partition 3", answer.GetProperty("Logs")[0].GetString());
        Assert.Equal(2, answer.GetProperty("ReturnValue").GetProperty("accepted").GetInt32());

        var logged = (await store.EventLog.ReadDistinctAsync()).OrderBy(e => e.EventId).ToList();
        Assert.Equal(["eh-1", "eh-2"], logged.Select(e => e.EventId));
        Assert.Equal(enqueued, logged[0].EnqueuedAt);
        Assert.Equal(enqueued.AddSeconds(1), logged[1].EnqueuedAt);
    }

    [Fact]
    public async Task Plain_JSON_arrays_and_object_metadata_are_accepted_too()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var enqueued = DateTimeOffset.UtcNow.AddSeconds(-5);
        var response = await handler.Client.PostAsync("/IngestEvents", Json(HostPayload([Event("plain-1").ToJsonString()], [enqueued], encodeArrays: false)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await response.ReadJsonAsync()).GetProperty("ReturnValue").GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Event_body_that_is_not_JSON_is_dead_lettered_and_the_rest_is_stored()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var now = DateTimeOffset.UtcNow;
        var bodies = new[] { Event("ok-1").ToJsonString(), "this is {not json", Event("bad-market").ToJsonString().Replace("\"GB\"", "\"XX\"") };
        var response = await handler.Client.PostAsync("/IngestEvents", Json(HostPayload(bodies, [now, now, now], firstSequence: 7000)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var counts = (await response.ReadJsonAsync()).GetProperty("ReturnValue");
        Assert.Equal(1, counts.GetProperty("accepted").GetInt32());
        Assert.Equal(2, counts.GetProperty("rejected").GetInt32());

        var letters = new List<JsonElement>();
        foreach (var path in await DeadLettersAsync(store))
            letters.Add(JsonDocument.Parse((await store.Blobs.GetAsync(Containers.DeadLetter, path))!.ToString()).RootElement);
        var notJson = Assert.Single(letters, l => l.GetProperty("raw").GetString() == "this is {not json");
        Assert.Equal("eventhub", notJson.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal("3", notJson.GetProperty("source").GetProperty("partition").GetString());
        Assert.Equal(7001, notJson.GetProperty("source").GetProperty("sequenceNumber").GetInt64());
        Assert.True(notJson.GetProperty("reasons").TryGetProperty("$", out _));
        Assert.Single(letters, l => l.GetProperty("reasons").TryGetProperty("market", out _));
    }

    [Fact]
    public async Task Escapes_in_string_encoded_bodies_are_decoded_once_exactly()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        // Quotes, backslashes, a slash, non-ASCII and an astral character: escaped once in the body, again in the array string.
        const string item = "ü \"quoted\" back\\slash / 日本 😀";
        var body = Event("esc-1", item: item).ToJsonString();
        Assert.Contains("\\u", body);
        var response = await handler.Client.PostAsync("/IngestEvents", Json(HostPayload([body], [DateTimeOffset.UtcNow])));

        Assert.Equal(1, (await response.ReadJsonAsync()).GetProperty("ReturnValue").GetProperty("accepted").GetInt32());
        Assert.Equal(item, Assert.Single(await store.EventLog.ReadDistinctAsync()).Item);
    }

    [Fact]
    public async Task Body_string_with_an_escaped_lone_surrogate_is_dead_lettered_and_the_rest_is_stored()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var now = DateTimeOffset.UtcNow;
        // A body holding a lone surrogate has no UTF-8 form: Json.NET escapes it, and it must not fail the batch.
        var payload = HostPayload([Event("ok-1").ToJsonString(), "LONE"], [now, now]).Replace("LONE", "\\\\ud800x");
        var response = await handler.Client.PostAsync("/IngestEvents", Json(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var counts = (await response.ReadJsonAsync()).GetProperty("ReturnValue");
        Assert.Equal(1, counts.GetProperty("accepted").GetInt32());
        Assert.Equal(1, counts.GetProperty("rejected").GetInt32());
        var letter = JsonDocument.Parse((await store.Blobs.GetAsync(Containers.DeadLetter, Assert.Single(await DeadLettersAsync(store))))!.ToString()).RootElement;
        Assert.Equal("\"\\ud800x\"", letter.GetProperty("raw").GetString());
    }

    [Fact]
    public async Task Redelivered_batch_is_acknowledged_as_duplicates()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var now = DateTimeOffset.UtcNow;
        var payload = HostPayload(Enumerable.Range(0, 100).Select(i => Event($"re-{i}", user: $"u{i % 5}").ToJsonString()).ToList(), Enumerable.Repeat(now, 100).ToList());
        var first = (await (await handler.Client.PostAsync("/IngestEvents", Json(payload))).ReadJsonAsync()).GetProperty("ReturnValue");
        var second = (await (await handler.Client.PostAsync("/IngestEvents", Json(payload))).ReadJsonAsync()).GetProperty("ReturnValue");
        Assert.Equal(100, first.GetProperty("accepted").GetInt32());
        Assert.Equal(0, second.GetProperty("accepted").GetInt32());
        Assert.Equal(100, second.GetProperty("duplicates").GetInt32());
        Assert.Equal(100, (await store.EventLog.ReadDistinctAsync()).Count);
        Assert.Equal(100, await CountRowsAsync(store, "events"));
    }

    [Fact]
    public async Task Unreadable_invocation_is_dead_lettered_whole_and_acknowledged()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var response = await handler.Client.PostAsync("/IngestEvents", Json("{\"Data\": 42"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var path = Assert.Single(await DeadLettersAsync(store));
        var letter = JsonDocument.Parse((await store.Blobs.GetAsync(Containers.DeadLetter, path))!.ToString()).RootElement;
        Assert.Equal("{\"Data\": 42", letter.GetProperty("raw").GetString());
    }
}
