namespace ServerlessReco.Embed;

/// <summary>
/// Token sequences padded to the longest of the batch (not to MaxLength): row-major [Rows, SequenceLength]
/// ids and attention mask, as the model's int64 inputs take them.
/// </summary>
internal sealed class TokenBatch
{
    private TokenBatch(int rows, int sequenceLength, long[] inputIds, long[] attentionMask)
    {
        Rows = rows;
        SequenceLength = sequenceLength;
        InputIds = inputIds;
        AttentionMask = attentionMask;
    }

    public int Rows { get; }
    public int SequenceLength { get; }
    public long[] InputIds { get; }
    public long[] AttentionMask { get; }

    public static TokenBatch Pad(IReadOnlyList<int[]> sequences, int padId)
    {
        int rows = sequences.Count;
        int length = 0;
        foreach (int[] sequence in sequences)
            length = Math.Max(length, sequence.Length);

        var inputIds = new long[rows * length];
        var attentionMask = new long[rows * length];
        Array.Fill(inputIds, padId);
        for (int r = 0; r < rows; r++)
        {
            int[] sequence = sequences[r];
            Span<long> idRow = inputIds.AsSpan(r * length, sequence.Length);
            for (int t = 0; t < sequence.Length; t++)
                idRow[t] = sequence[t];
            attentionMask.AsSpan(r * length, sequence.Length).Fill(1);
        }
        return new TokenBatch(rows, length, inputIds, attentionMask);
    }
}
