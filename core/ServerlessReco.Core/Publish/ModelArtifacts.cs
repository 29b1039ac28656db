namespace ServerlessReco.Publish;

/// <summary>
/// One model version in memory. Row i of <see cref="ItemFactors"/> is item <see cref="ItemIds"/>[i]; popularity
/// row 0 is global, then one row per market in <see cref="PopularityMarkets"/>.
/// </summary>
public sealed record ModelArtifacts
{
    public const string GlobalMarket = "*";

    public required ModelManifest Manifest { get; init; }
    public required string[] UserIds { get; init; }
    public required string[] ItemIds { get; init; }
    public required float[] UserFactors { get; init; }
    public required float[] ItemFactors { get; init; }
    public required string[] PopularityMarkets { get; init; }
    public required float[] Popularity { get; init; }
    public float[]? ItemEmbeddings { get; init; }
    public int EmbeddingDimension { get; init; }
    public string[] ItemCategories { get; init; } = [];
    /// <summary>The sequence network's flat weights (see <see cref="Sequence.SequenceLayout"/>) when the manifest has a sequence model.</summary>
    public float[]? SequenceWeights { get; init; }
    /// <summary>Each user's newest items in the training data, oldest first (CSR over users): the sequence model's input before fresh events.</summary>
    public int[] SequenceHistoryPointers { get; init; } = [];
    public int[] SequenceHistoryItems { get; init; } = [];

    public ReadOnlySpan<int> SequenceHistoryOf(int user) =>
        SequenceHistoryPointers.Length == UserCount + 1 ? SequenceHistoryItems.AsSpan(SequenceHistoryPointers[user], SequenceHistoryPointers[user + 1] - SequenceHistoryPointers[user]) : [];

    /// <summary>
    /// What each user bought in the training data, as CSR row pointers (users + 1) and item indices: serving
    /// excludes these and explains recommendations with them without reading the event log.
    /// </summary>
    public int[] PurchasePointers { get; init; } = [];
    public int[] PurchaseItems { get; init; } = [];

    public ReadOnlySpan<int> PurchasesOf(int user) =>
        PurchasePointers.Length == UserCount + 1 ? PurchaseItems.AsSpan(PurchasePointers[user], PurchasePointers[user + 1] - PurchasePointers[user]) : [];

    public int Factors => Manifest.Factors;
    public string Version => Manifest.Version;
    public int UserCount => UserIds.Length;
    public int ItemCount => ItemIds.Length;

    public ReadOnlySpan<float> PopularityRow(int marketRow) => Popularity.AsSpan(marketRow * ItemCount, ItemCount);
}
