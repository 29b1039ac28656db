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

    public SequenceLayout(int items, SequenceOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        options.Validate();
        Items = items;
        Hidden = options.Hidden;
        Heads = options.Heads;
        MaxLength = options.MaxLength;
        int d = Hidden;
        ItemEmbeddings = Add("item_embeddings", items * d);
        Positions = Add("positions", MaxLength * d);
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
    public BlockOffsets[] Blocks { get; }
    public int FinalGamma { get; }
    public int FinalBeta { get; }
    public int Size { get; private set; }
    public IReadOnlyList<(string Name, int Offset, int Length)> Tensors => _tensors;

    private int Add(string name, int length)
    {
        int offset = Size;
        _tensors.Add((name, offset, length));
        Size += length;
        return offset;
    }
}
