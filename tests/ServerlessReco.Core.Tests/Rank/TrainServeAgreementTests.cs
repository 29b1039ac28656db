using System.IO.Compression;
using System.Numerics.Tensors;
using ServerlessReco.Domain;
using ServerlessReco.Ingest;
using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Rank;

/// <summary>
/// Serving must fold events in exactly as training weighted them. For real Online Retail shoppers, the serving
/// code (history -> strengths -> fold-in, with what the manifest records) applied to each shopper's whole training
/// history must give back the vector training learned for them. Non-default weights and half-life make a server
/// that used its own defaults fail.
/// </summary>
public sealed class TrainServeAgreementTests : IClassFixture<TrainServeAgreementTests.TrainedOnlineRetail>
{
    private const int SampledShoppers = 200;
    private readonly TrainedOnlineRetail _trained;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public TrainServeAgreementTests(TrainedOnlineRetail trained, Xunit.Abstractions.ITestOutputHelper output)
    {
        _trained = trained;
        _output = output;
    }

    public sealed class TrainedOnlineRetail
    {
        public TrainingParameters Parameters { get; } = new()
        {
            Als = new AlsOptions { Factors = 32, Iterations = 25, Alpha = 5, Regularization = 4, Seed = 3, Threads = 2 },
            Interactions = new InteractionStrength
            {
                Weights = new EventWeights { View = 0.05f, Click = 0.3f, AddToCart = 0.7f, Purchase = 2.5f, RatingPerStar = 0.4f },
                HalfLifeDays = 45,
            },
        };

        public TrainedOnlineRetail()
        {
            var parser = new OnlineRetailParser();
            using (var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "data", "online_retail.csv.gz")), CompressionMode.Decompress)))
            {
                long line = 0;
                while (reader.ReadLine() is { } text) parser.AddLine(++line, text);
            }
            Events = parser.Events(new Pseudonymizer(Pseudonymizer.DevelopmentKey));
            Data = TrainingData.Build(Events, Parameters.Interactions);
            var factors = ImplicitAls.Fit(Data.UserItems, Parameters.Als);
            Model = ServingModel.Build(TrainedModel.Build(Data, factors, Parameters, new Dictionary<string, CatalogItem>(), DateTimeOffset.UnixEpoch));
        }

        public List<InteractionEvent> Events { get; }
        public TrainingData Data { get; }
        public ServingModel Model { get; }
    }

    [Fact]
    public void Folding_in_a_shoppers_training_history_gives_back_their_trained_vector()
    {
        var cosines = Cosines(_trained.Model);

        Assert.Equal(SampledShoppers, cosines.Count);
        Assert.All(cosines, c => Assert.True(c.Cosine >= 0.99, $"shopper {c.User}: cosine {c.Cosine:F4} between fold-in and trained vector"));
    }

    [Fact]
    public void A_server_with_default_weights_and_decay_would_disagree()
    {
        // The same model, but with the manifest saying what a server with built-in defaults would assume.
        var artifacts = _trained.Model.Artifacts;
        var skewed = ServingModel.Build(artifacts with
        {
            Manifest = artifacts.Manifest with { Training = artifacts.Manifest.Training with { Interactions = new InteractionStrength() } },
        });

        var cosines = Cosines(skewed);

        Assert.Contains(cosines, c => c.Cosine < 0.99);
    }

    private List<(string User, double Cosine)> Cosines(ServingModel model)
    {
        var byUser = _trained.Events.Where(e => e.User.Length > 0).GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.ToList());
        var random = new Random(11);
        var sample = _trained.Data.UserIds.Where(u => byUser[u].Count >= 3).OrderBy(_ => random.Next()).Take(SampledShoppers);
        var result = new List<(string User, double Cosine)>();
        foreach (var user in sample)
        {
            var events = byUser[user].OrderByDescending(e => e.Timestamp).ToList();
            // As serving sees a shopper the model does not know: every event is folded in, at the time training decayed to.
            var shopper = ShopperHistory.From(events, model, -1, model.Manifest.TrainedUntil);
            var folded = AlsScorer.UserVector(model, shopper, out var strategy);
            Assert.Equal(Strategy.AlsRealtime, strategy);
            var trained = model.UserVector(model.UserIndex[user]);
            result.Add((user, TensorPrimitives.CosineSimilarity(folded, trained)));
        }
        var sorted = result.Select(r => r.Cosine).Order().ToArray();
        _output.WriteLine($"fold-in vs trained cosine over {sorted.Length} shoppers: min {sorted[0]:F4}, median {sorted[sorted.Length / 2]:F4}");
        return result;
    }
}
