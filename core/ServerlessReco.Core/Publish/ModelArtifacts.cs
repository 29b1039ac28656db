namespace ServerlessReco.Publish;

/// <summary>
/// One model version in memory. Row i of <see cref="ItemFactors"/> is item <see cref="ItemIds"/>[i]; popularity
/// row 0 is global, then one row per market in <see cref="PopularityMarkets"/>.
/// </summary>
public sealed class ModelArtifacts
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

    public int Factors => Manifest.Factors;
    public string Version => Manifest.Version;
    public int UserCount => UserIds.Length;
    public int ItemCount => ItemIds.Length;

    public ReadOnlySpan<float> PopularityRow(int marketRow) => Popularity.AsSpan(marketRow * ItemCount, ItemCount);
}
