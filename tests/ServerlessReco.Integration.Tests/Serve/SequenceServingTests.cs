using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Sequence;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>
/// The sequence model served over HTTP on azurite: <see cref="ServeWorld"/>'s version plus a sequence network
/// trained on shoppers who buy twelve items in a fixed cycle (K1..K6, then G1..G6, then K1 again), so the right
/// next item is known.
/// </summary>
public sealed class SequenceServingTests
{
    private static readonly string[] Cycle = ["K1", "K2", "K3", "K4", "K5", "K6", "G1", "G2", "G3", "G4", "G5", "G6"];
    private static readonly SequenceOptions Options = new()
    {
        Hidden = 16, Blocks = 1, Heads = 2, MaxLength = 8, Dropout = 0.1f, BatchSize = 16, MaxEpochs = 25, Patience = 25, Threads = 2, LearningRate = 0.01f,
    };

    /// <summary>Built once: training takes a few seconds, and it is deterministic anyway.</summary>
    private static readonly Lazy<ModelArtifacts> WithSequence = new(() => Trained(Options));

    /// <summary>The same, with each input item's category (ServeWorld's kitchen and garden) embedded too.</summary>
    private static readonly Lazy<ModelArtifacts> WithCategories = new(() => Trained(Options with { Categories = true }));

    private static ModelArtifacts Trained(SequenceOptions options)
    {
        var events = new List<InteractionEvent>();
        var start = TrainedUntil.AddDays(-30);
        for (int s = 0; s < 60; s++)
            for (int t = 0; t < 5 + s % 4; t++)
                events.Add(Event("cycler" + s, Cycle[(s + t) % Cycle.Length], EventType.Purchase, start.AddHours(t)) with { EventId = $"c{s}-{t}" });
        // Alice's training history ends with K4, K5: the model predicts K6 for her.
        events.Add(Event("alice", "K4", EventType.Purchase, start.AddDays(1)) with { EventId = "a1" });
        events.Add(Event("alice", "K5", EventType.Purchase, start.AddDays(2)) with { EventId = "a2" });
        return SequenceModel.Add(Model("v1"), events, options);
    }

    private static async Task<DataStore> StoreAsync(ModelArtifacts model)
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync(ServeWorld.Catalog());
        await store.Models.WriteVersionAsync(model);
        await store.Models.PublishAsync(model.Version);
        return store;
    }

    private static async Task<RunningHandler> StartAsync(DataStore store, string? strategy = null)
    {
        var settings = Settings;
        if (strategy is not null) settings["RECO_STRATEGY"] = strategy;
        var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        return handler;
    }

    private static int[] Indices(ModelArtifacts model, params string[] items) => [.. items.Select(i => Array.IndexOf(model.ItemIds, i))];

    /// <summary>Each answered score against training's forward pass in double on the stored weights and the same sequence.</summary>
    private static void AssertParity(ModelArtifacts model, JsonElement answer, int[] sequence) => AssertParity(model, answer, TrainedState(model, sequence));

    /// <summary>Training's network in double (the architecture from the manifest), and its state after <paramref name="sequence"/>.</summary>
    private static double[] TrainedState(ModelArtifacts model, int[] sequence, Action<SequenceNetwork<double>>? change = null)
    {
        var network = Network(model);
        change?.Invoke(network);
        return SequenceEncoder.State(network, sequence);
    }

    private static SequenceNetwork<double> Network(ModelArtifacts model) =>
        new(new SequenceLayout(model.ItemCount, model.Manifest.Training.Sequence!, model.ItemCategories), [.. model.SequenceWeights!.Select(w => (double)w)]);

    private static void AssertParity(ModelArtifacts model, JsonElement answer, double[] state)
    {
        var network = Network(model);
        foreach (var item in answer.GetProperty("items").EnumerateArray())
        {
            var embedding = network.ItemEmbedding(Array.IndexOf(model.ItemIds, item.GetProperty("itemId").GetString()));
            double expected = 0;
            for (int j = 0; j < state.Length; j++) expected += state[j] * embedding[j];
            double served = item.GetProperty("score").GetDouble();
            Assert.True(Math.Abs(expected - served) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{item.GetProperty("itemId")}: served {served}, trained {expected}");
        }
    }

    [Fact]
    public async Task The_sequence_strategy_predicts_the_next_item_matches_training_and_follows_every_new_event()
    {
        var model = WithSequence.Value;
        var store = await StoreAsync(model);
        await using var handler = await StartAsync(store);

        // K4 and K5 are what she has; K3 is out of stock and K2 not sold in DE.
        const string Path = "/api/recommendations/alice?market=DE&count=5&strategy=sequence&exclude=K4,K5";
        var before = await GetJsonAsync(handler, Path);
        Assert.Equal("sequence", before.GetProperty("strategy").GetString());
        Assert.Equal("K6", ItemsOf(before)[0]);
        AssertParity(model, before, Indices(model, "K4", "K5"));
        // The explanation is the recent item the newest position attended to most: one of her sequence.
        Assert.Contains(before.GetProperty("items")[0].GetProperty("reason").GetProperty("itemId").GetString(), new[] { "K4", "K5" });

        // A view of G1 after training: the next answer reads it at once.
        await store.RecentEvents.UpsertAsync([Event("alice", "G1", EventType.View, DateTimeOffset.UtcNow)]);
        await FreshShoppersAsync(handler, 1);
        var after = await GetJsonAsync(handler, Path + ",G1");
        Assert.Equal("G2", ItemsOf(after)[0]);
        AssertParity(model, after, Indices(model, "K4", "K5", "G1"));
        Assert.Contains(after.GetProperty("items")[0].GetProperty("reason").GetProperty("itemId").GetString(), new[] { "K4", "K5", "G1" });

        // The default chain is still ALS (RECO_STRATEGY unset), now refreshed with the fresh event.
        Assert.Equal("als+realtime", (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE")).GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task A_model_with_categories_records_them_and_serves_what_training_computes_with_them()
    {
        var model = WithCategories.Value;
        var store = await StoreAsync(model);
        Assert.True((await store.Models.ReadManifestAsync("v1"))!.Training.Sequence!.Categories);
        await using var handler = await StartAsync(store);

        var answer = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=5&strategy=sequence&exclude=K4,K5");
        Assert.Equal("sequence", answer.GetProperty("strategy").GetString());
        Assert.Equal("K6", ItemsOf(answer)[0]);
        var sequence = Indices(model, "K4", "K5");
        AssertParity(model, answer, sequence);
        // The parity holds only because serving adds the category rows: without them the scores move off it.
        var withoutCategories = TrainedState(model, sequence, network =>
            network.Weights.AsSpan(network.Layout.CategoryEmbeddings, network.Layout.CategoryCount * network.Layout.Hidden).Clear());
        Assert.Throws<Xunit.Sdk.TrueException>(() => AssertParity(model, answer, withoutCategories));
    }

    [Fact]
    public async Task A_shopper_the_model_never_saw_gets_sequence_recommendations_from_the_first_event()
    {
        var model = WithSequence.Value;
        var store = await StoreAsync(model);
        await using var handler = await StartAsync(store, strategy: "sequence");

        Assert.Equal("popularity", (await GetJsonAsync(handler, "/api/recommendations/erin?market=DE&count=3")).GetProperty("strategy").GetString());
        await store.RecentEvents.UpsertAsync([Event("erin", "G3", EventType.Click, DateTimeOffset.UtcNow)]);
        await FreshShoppersAsync(handler, 1);
        // No strategy parameter: RECO_STRATEGY=sequence is the default.
        var answer = await GetJsonAsync(handler, "/api/recommendations/erin?market=DE&count=3&exclude=G3");
        Assert.Equal("sequence", answer.GetProperty("strategy").GetString());
        Assert.Equal("G4", ItemsOf(answer)[0]);
        Assert.Equal("G3", answer.GetProperty("items")[0].GetProperty("reason").GetProperty("itemId").GetString());
        AssertParity(model, answer, Indices(model, "G3"));
        // A request may still ask for ALS.
        Assert.Equal("als+realtime", (await GetJsonAsync(handler, "/api/recommendations/erin?market=DE&strategy=als")).GetProperty("strategy").GetString());
    }

    /// <summary>
    /// Events written straight to the table come from another writer: the handler learns of them at its next read
    /// of the shopper activity feed (every 2 s), which health counts.
    /// </summary>
    private static async Task FreshShoppersAsync(RunningHandler handler, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var counts = (await GetJsonAsync(handler, "/api/health")).GetProperty("counts");
            // Absent or null: the handler cannot tell who is fresh and reads the events table for everyone.
            if (!counts.TryGetProperty("shoppersWithFreshEvents", out var fresh) || fresh.ValueKind != JsonValueKind.Number || fresh.GetInt32() >= count) return;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_blend_is_asked_for_by_name_and_an_unknown_strategy_is_refused_naming_the_parameter()
    {
        var store = await StoreAsync(WithSequence.Value);
        await using var handler = await StartAsync(store);

        var escaped = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=5&strategy=als%2Bsequence");
        Assert.Equal("als+sequence", escaped.GetProperty("strategy").GetString());
        // An unescaped + arrives as a space: still the blend.
        var plain = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=5&strategy=als+sequence");
        Assert.Equal(ItemsOf(escaped), ItemsOf(plain));

        var refused = await handler.Client.GetAsync("/api/recommendations/alice?market=DE&strategy=deep");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("als+sequence", problem.GetProperty("errors").GetProperty("strategy")[0].GetString());

        var document = await Edge.GeneratedDocument.FetchAsync(handler);
        var parameter = document.Operation("/api/recommendations/{userId}", "get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "strategy");
        Assert.Equal(["als", "sequence", "als+sequence"], parameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Contains("RECO_STRATEGY", parameter.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_version_without_a_sequence_model_answers_a_sequence_request_with_als()
    {
        var store = await StoreAsync(Model("v1"));
        await using var handler = await StartAsync(store);
        Assert.Equal("als", (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&strategy=sequence")).GetProperty("strategy").GetString());
        Assert.Equal("als", (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&strategy=als%2Bsequence")).GetProperty("strategy").GetString());
    }
}
