using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Sequence;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Sequence;

/// <summary>Training, storing and serving the sequence model on a catalogue where order is everything.</summary>
public sealed class SequenceModelTests : IDisposable
{
    private const int ItemCount = 12;
    private static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SequenceOptions Small = new()
    {
        Hidden = 16, Blocks = 1, Heads = 2, MaxLength = 8, Dropout = 0.1f, BatchSize = 16, MaxEpochs = 25, Patience = 25, Threads = 2, LearningRate = 0.01f,
    };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "reco-seq-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static string Item(int i) => "i" + (i % ItemCount).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Shopper s buys items s, s+1, s+2, ... (mod 12) in that order: the next item is always the one after the last.</summary>
    private static List<InteractionEvent> CyclicEvents(int shoppers)
    {
        var events = new List<InteractionEvent>();
        for (int s = 0; s < shoppers; s++)
            for (int t = 0; t < 5 + s % 4; t++)
                events.Add(new InteractionEvent
                {
                    EventId = $"e{s}-{t}", User = $"u{s:D3}", Item = Item(s + t), Type = EventType.Purchase,
                    Timestamp = Start.AddHours(t), Market = "DE",
                });
        return events;
    }

    private static List<int[]> Sequences(List<InteractionEvent> events) =>
        [.. SequenceModel.Sequences(events, IdIndex.Of([.. Enumerable.Range(0, ItemCount).Select(Item)])).Select(s => s.Items)];

    [Fact]
    public void Training_learns_the_next_item_and_is_deterministic_for_a_thread_count()
    {
        var sequences = Sequences(CyclicEvents(60));
        var first = SequenceTrainer.Train(sequences, ItemCount, Small);
        var second = SequenceTrainer.Train(sequences, ItemCount, Small);

        Assert.True(first.Best.ValidationNdcg > 0.9, $"validation NDCG@10 {first.Best.ValidationNdcg:F3}");
        Assert.True(first.Epochs[^1].Loss < first.Epochs[0].Loss);
        Assert.Equal(first.Weights, second.Weights);
    }

    [Fact]
    public void Early_stopping_keeps_the_best_epoch()
    {
        var result = SequenceTrainer.Train(Sequences(CyclicEvents(60)), ItemCount, Small with { LearningRate = 0.2f, MaxEpochs = 12, Patience = 2 });
        var best = result.Epochs.Where(e => e.Best).Last();
        Assert.Equal(result.Epochs.Max(e => e.ValidationNdcg), best.ValidationNdcg);
        Assert.True(result.Epochs.Count == 12 || result.Epochs.Count == best.Epoch + 2, $"{result.Epochs.Count} epochs, best {best.Epoch}");
    }

    [Fact]
    public async Task A_stored_version_serves_the_same_forward_pass_as_training_and_follows_fresh_events()
    {
        var events = CyclicEvents(60);
        var parameters = new TrainingParameters { Als = new AlsOptions { Factors = 4, Iterations = 3, Threads = 1 } };
        var data = TrainingData.Build(events, parameters.Interactions);
        var trained = TrainedModel.Build(data, ImplicitAls.Fit(data.UserItems, parameters.Als), parameters, new Dictionary<string, CatalogItem>(), Start);
        trained = SequenceModel.Add(trained, events, Small);
        var store = new ModelStore(new DirectoryBlobStore(_root));
        var manifest = await store.WriteVersionAsync(trained);
        var model = ServingModel.Build(await store.LoadAsync(manifest.Version));
        Assert.Equal(Small, model.Manifest.Training.Sequence);

        // Shopper u000 bought i00..i04 in training; a fresh view of i05 arrives after it.
        int row = model.UserIndex["u000"];
        var fresh = new InteractionEvent { EventId = "f", User = "u000", Item = Item(5), Type = EventType.View, Timestamp = Start.AddDays(2), Market = "DE" };
        var shopper = ShopperHistory.From([fresh], model, row, Start.AddDays(2));
        int[] expectedSequence = [.. Enumerable.Range(0, 6).Select(i => model.ItemIndex[Item(i)])];
        Assert.Equal(expectedSequence, shopper.Sequence);

        // Training's forward pass, in double, on the stored weights and the same sequence.
        var reference = new SequenceNetwork<double>(new SequenceLayout(ItemCount, Small), [.. trained.SequenceWeights!.Select(w => (double)w)]);
        var rng = default(SplitMix);
        var trace = reference.Forward(shopper.Sequence, 0.0, ref rng, train: false);
        var state = trace.Output.AsSpan((trace.Length - 1) * Small.Hidden, Small.Hidden);

        var catalog = new FixedCatalog(Enumerable.Range(0, ItemCount).Select(Item).ToDictionary(id => id, id => new CatalogItem { Id = id, Category = "c", Markets = ["DE"] }));
        var pipeline = new RankingPipeline([new SequenceScorer(), new PopularityScorer()], new RankingOptions());
        var list = pipeline.Recommend(model, catalog, shopper, new RecommendationRequest { Market = "DE", Count = ItemCount, IncludePurchased = true });
        Assert.Equal(Strategy.Sequence, list.Strategy);
        Assert.Equal(ItemCount, list.Items.Count);
        foreach (var ranked in list.Items)
        {
            double expected = 0;
            var embedding = reference.ItemEmbedding(ranked.Index);
            for (int j = 0; j < Small.Hidden; j++) expected += state[j] * embedding[j];
            Assert.True(Math.Abs(expected - ranked.Score) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{ranked.Item.Id}: served {ranked.Score}, trained {expected}");
        }
        // Like SASRec, the model is never trained against the items already in a sequence: those are the request's to exclude.
        var next = pipeline.Recommend(model, catalog, shopper, new RecommendationRequest
        {
            Market = "DE", Count = 1, Exclude = Enumerable.Range(0, 6).Select(Item).ToHashSet(),
        });
        Assert.Equal(Item(6), next.Items[0].Item.Id);
        Assert.Contains(model.ItemIndex[next.Items[0].Reason.ItemId!], shopper.Sequence);

        // A shopper the model never saw, with one fresh event, is answered by the sequence model at once.
        var stranger = ShopperHistory.From([fresh with { User = "new" }], model, -1, Start.AddDays(2));
        var theirs = pipeline.Recommend(model, catalog, stranger, new RecommendationRequest { Market = "DE", Count = 3 });
        Assert.Equal(Strategy.Sequence, theirs.Strategy);
        Assert.Equal([model.ItemIndex[Item(5)]], stranger.Sequence);
        Assert.All(theirs.Items.Where(i => i.Item.Id != Item(5)), i => Assert.Equal(Item(5), i.Reason.ItemId));
    }

    [Fact]
    public void A_blend_standardizes_both_scores_and_reports_itself()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlendScorer(1.5f));
        var events = CyclicEvents(30);
        var parameters = new TrainingParameters { Als = new AlsOptions { Factors = 4, Iterations = 3, Threads = 1 } };
        var data = TrainingData.Build(events, parameters.Interactions);
        var trained = TrainedModel.Build(data, ImplicitAls.Fit(data.UserItems, parameters.Als), parameters, new Dictionary<string, CatalogItem>(), Start);
        var model = ServingModel.Build(SequenceModel.Add(trained, events, Small with { MaxEpochs = 3 }));
        var shopper = ShopperHistory.From([], model, 0, Start);
        var scores = new BlendScorer(0.5f).Score(model, shopper, null)!;
        Assert.Equal(Strategy.AlsSequence, scores.Strategy);
        // ALS alone when the weight is 0: the same order as the ALS scorer.
        var alsOnly = new BlendScorer(0f).Score(model, shopper, null)!;
        var catalog = new FixedCatalog(Enumerable.Range(0, ItemCount).Select(Item).ToDictionary(id => id, id => new CatalogItem { Id = id, Category = "c", Markets = ["DE"] }));
        var filter = new ItemFilter(model, catalog, null, null, new HashSet<string>(), new HashSet<string>(), new HashSet<string>());
        Assert.Equal(new AlsScorer().Score(model, shopper, null)!.Top(5, filter).Select(c => c.Index), alsOnly.Top(5, filter).Select(c => c.Index));

        // The int8 scan of the joint rows gives the dense z-score blend: every item's score, in order.
        var als = new double[ItemCount];
        var sequence = new double[ItemCount];
        var state = SequenceEncoder.State(model.Sequence!.Network, shopper.Sequence);
        for (int i = 0; i < ItemCount; i++)
        {
            for (int j = 0; j < model.K; j++) als[i] += model.ItemVector(i)[j] * (double)model.UserVector(0)[j];
            for (int j = 0; j < state.Length; j++) sequence[i] += model.Sequence.Network.ItemEmbedding(i)[j] * (double)state[j];
        }
        static double[] Z(double[] x)
        {
            double mean = x.Average(), sd = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / x.Length);
            return [.. x.Select(v => (v - mean) / sd)];
        }
        var za = Z(als);
        var zs = Z(sequence);
        var top = scores.Top(ItemCount, filter);
        Assert.Equal(ItemCount, top.Count);
        foreach (var c in top)
        {
            double expected = 0.5 * za[c.Index] + 0.5 * zs[c.Index];
            Assert.True(Math.Abs(expected - c.Score) <= 1e-4, $"item {c.Index}: scanned {c.Score}, dense {expected}");
        }
        Assert.Equal(top.Select(c => c.Index), Enumerable.Range(0, ItemCount).OrderByDescending(i => 0.5 * za[i] + 0.5 * zs[i]).ThenBy(i => i));
    }
}
