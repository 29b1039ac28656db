using System.Numerics.Tensors;
using ServerlessReco.Publish;
using ServerlessReco.Train;

namespace ServerlessReco.Rank;

/// <summary>
/// A loaded model version with everything a request needs precomputed once: id lookups, the Gram matrix for
/// fold-in, inverse item-factor lengths for cosine, and the popularity row of each market. Immutable, so a
/// request keeps using the instance it started with while a newer one is swapped in.
/// </summary>
public sealed class ServingModel
{
    private readonly Dictionary<string, int> _popularityRows;

    private ServingModel(ModelArtifacts artifacts)
    {
        Artifacts = artifacts;
        K = artifacts.Factors;
        UserIndex = IdIndex.Of(artifacts.UserIds);
        ItemIndex = IdIndex.Of(artifacts.ItemIds);
        Gram = ImplicitAls.Gram(artifacts.ItemFactors, artifacts.ItemCount, K, Training.Als.Regularization);
        InverseNorms = InverseRowNorms(artifacts.ItemFactors, artifacts.ItemCount, K);
        QuantizedItemFactors = QuantizedItemFactors.Build(artifacts.ItemFactors, K);
        if (artifacts.ItemEmbeddings is { } embeddings)
            UnitEmbeddings = Normalized(embeddings, artifacts.ItemCount, artifacts.EmbeddingDimension);
        _popularityRows = IdIndex.Of(artifacts.PopularityMarkets);
        if (artifacts.SequenceWeights is { } weights && Training.Sequence is { } sequence)
            Sequence = SequenceItems.Build(new Sequence.SequenceNetwork<float>(new Sequence.SequenceLayout(artifacts.ItemCount, sequence, ServerlessReco.Sequence.SequenceModel.StoredCategories(artifacts)), weights), artifacts.ItemFactors, K);
        Categories = artifacts.ItemCategories.Length == artifacts.ItemCount ? artifacts.ItemCategories : new string[artifacts.ItemCount];
    }

    public ModelArtifacts Artifacts { get; }
    public string Version => Artifacts.Version;
    public ModelManifest Manifest => Artifacts.Manifest;
    public int K { get; }
    public int ItemCount => Artifacts.ItemCount;
    /// <summary>What training decided, from the manifest: fold-in uses its alpha, regularization and interaction strength.</summary>
    public TrainingParameters Training => Artifacts.Manifest.Training;
    public Dictionary<string, int> UserIndex { get; }
    public Dictionary<string, int> ItemIndex { get; }
    /// <summary>Y^T Y + reg I over the item factors.</summary>
    public float[] Gram { get; }
    /// <summary>1 / |item factors| per item (0 for a zero row): cosine without a second, normalised copy of the factors.</summary>
    public float[] InverseNorms { get; }
    /// <summary>The item factors in int8 for the per-request scan; results are still exact (see the type).</summary>
    public QuantizedItemFactors QuantizedItemFactors { get; }
    /// <summary>Unit-length content embeddings when the model has them (see <see cref="RankingPipeline.Similar"/>).</summary>
    public float[]? UnitEmbeddings { get; }
    public string[] Categories { get; }
    /// <summary>The sequence network and its scan structures when the version has one (see <see cref="SequenceScorer"/>).</summary>
    public SequenceItems? Sequence { get; }

    public static ServingModel Build(ModelArtifacts artifacts) => new(artifacts);

    public ReadOnlySpan<float> ItemVector(int item) => Artifacts.ItemFactors.AsSpan(item * K, K);
    public ReadOnlySpan<float> UserVector(int user) => Artifacts.UserFactors.AsSpan(user * K, K);

    /// <summary>The market's popularity row (already shrunk toward global by the train job), or the global row.</summary>
    public ReadOnlyMemory<float> PopularityRow(string market, out bool marketSpecific)
    {
        marketSpecific = _popularityRows.TryGetValue(market, out int row) && market != ModelArtifacts.GlobalMarket;
        if (!marketSpecific) row = _popularityRows.GetValueOrDefault(ModelArtifacts.GlobalMarket, 0);
        return Artifacts.Popularity.AsMemory(row * ItemCount, ItemCount);
    }

    /// <summary>Whether anyone interacted with the item in the training data (global popularity counts every event).</summary>
    public bool HasInteractions(int item) => Artifacts.PopularityRow(0)[item] > 0;

    public float Cosine(int a, int b) => TensorPrimitives.Dot(ItemVector(a), ItemVector(b)) * InverseNorms[a] * InverseNorms[b];

    private static float[] InverseRowNorms(float[] matrix, int rows, int cols)
    {
        var inverse = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            float norm = TensorPrimitives.Norm(matrix.AsSpan(i * cols, cols));
            // A zero row (an item the model never learned) stays zero: cosine 0 to everything.
            inverse[i] = norm > 0 ? 1 / norm : 0;
        }
        return inverse;
    }

    private static float[] Normalized(float[] matrix, int rows, int cols)
    {
        var inverse = InverseRowNorms(matrix, rows, cols);
        var unit = new float[matrix.Length];
        for (int i = 0; i < rows; i++)
            TensorPrimitives.Multiply(matrix.AsSpan(i * cols, cols), inverse[i], unit.AsSpan(i * cols, cols));
        return unit;
    }
}
