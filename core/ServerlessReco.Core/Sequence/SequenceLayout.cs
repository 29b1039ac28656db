namespace ServerlessReco.Sequence;

/// <summary>
/// Offsets of one attention block's tensors in the flat weight array; matrices are row-major, input x output.
/// Keys have no bias: it would add the same amount to every logit of a query, which softmax ignores.
/// </summary>
public readonly record struct BlockOffsets(
    int Ln1Gamma, int Ln1Beta, int Wq, int Bq, int Wk, int Wv, int Bv, int Wo, int Bo,
    int Ln2Gamma, int Ln2Beta, int W1, int B1, int W2, int B2);

/// <summary>
/// Where every parameter tensor lives in one flat array. Weights, gradients and Adam's moments share it, so the
/// optimizer, the gradient check and the .npy files walk the same list of named tensors.
/// </summary>
public sealed class SequenceLayout
{
    private readonly List<(string Name, int Offset, int Length)> _tensors = [];

    /// <param name="itemCategories">
    /// Each item's catalogue category (null or empty: none), read only with <see cref="SequenceOptions.Categories"/>.
    /// Training and serving both pass the version's stored item categories, so they number them the same way.
    /// </param>
    public SequenceLayout(int items, SequenceOptions options, IReadOnlyList<string?>? itemCategories = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        options.Validate();
        Items = items;
        ItemCategory = options.Categories ? CategoryIndices(items, itemCategories) : [];
        CategoryCount = ItemCategory.Length == 0 ? 0 : ItemCategory.Max() + 1;
        Hidden = options.Hidden;
        Heads = options.Heads;
        MaxLength = options.MaxLength;
        int d = Hidden;
        ItemEmbeddings = Add("item_embeddings", items * d);
        Positions = Add("positions", MaxLength * d);
        // Only with categories on, so the layout (and the stored weights) of a model without them is unchanged.
        CategoryEmbeddings = CategoryCount > 0 ? Add("category_embeddings", CategoryCount * d) : -1;
        Blocks = new BlockOffsets[options.Blocks];
        for (int b = 0; b < Blocks.Length; b++)
        {
            string p = $"block{b}.";
            Blocks[b] = new BlockOffsets(
                Add(p + "ln1_gamma", d), Add(p + "ln1_beta", d),
                Add(p + "wq", d * d), Add(p + "bq", d), Add(p + "wk", d * d),
                Add(p + "wv", d * d), Add(p + "bv", d), Add(p + "wo", d * d), Add(p + "bo", d),
                Add(p + "ln2_gamma", d), Add(p + "ln2_beta", d),
                Add(p + "w1", d * d), Add(p + "b1", d), Add(p + "w2", d * d), Add(p + "b2", d));
        }
        FinalGamma = Add("final_gamma", d);
        FinalBeta = Add("final_beta", d);
    }

    public int Items { get; }
    public int Hidden { get; }
    public int Heads { get; }
    public int MaxLength { get; }
    public int ItemEmbeddings { get; }
    public int Positions { get; }
    /// <summary>Offset of the categories x hidden table; -1 without categories.</summary>
    public int CategoryEmbeddings { get; }
    /// <summary>Each item's row in the category table; empty without categories.</summary>
    public int[] ItemCategory { get; }
    public int CategoryCount { get; }
    public BlockOffsets[] Blocks { get; }
    public int FinalGamma { get; }
    public int FinalBeta { get; }
    public int Size { get; private set; }
    public IReadOnlyList<(string Name, int Offset, int Length)> Tensors => _tensors;

    /// <summary>
    /// Categories numbered in ordinal order of their names, so the numbering depends only on the set of names;
    /// items without a category share one row (the empty name), which the network learns like any other.
    /// </summary>
    private static int[] CategoryIndices(int items, IReadOnlyList<string?>? itemCategories)
    {
        if (itemCategories is not null && itemCategories.Count != items)
            throw new ArgumentException($"Expected {items} item categories, got {itemCategories.Count}.", nameof(itemCategories));
        var names = new string[items];
        for (int i = 0; i < items; i++) names[i] = itemCategories?[i] ?? "";
        var index = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((name, position) => (name, position)).ToDictionary(p => p.name, p => p.position, StringComparer.Ordinal);
        return [.. names.Select(n => index[n])];
    }

    private int Add(string name, int length)
    {
        int offset = Size;
        _tensors.Add((name, offset, length));
        Size += length;
        return offset;
    }
}
