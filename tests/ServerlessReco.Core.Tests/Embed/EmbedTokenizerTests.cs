using ServerlessReco.Embed;

namespace ServerlessReco.Tests.Embed;

public sealed class EmbedTokenizerTests
{
    [Theory]
    [MemberData(nameof(EncoderFixtures.SentenceCases), MemberType = typeof(EncoderFixtures))]
    public void TokenIdsAndAttentionMask_MatchReference(string fixture, int sentence)
    {
        ReferenceSentence reference = EncoderFixtures.Sentences(fixture)[sentence];
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(fixture);

        TokenBatch batch = TokenBatch.Pad([tokenizer.Encode(reference.Text, EncoderFixtures.ReferenceMaxLength)], tokenizer.PadId);

        Assert.Equal(reference.InputIds.Select(id => (long)id), batch.InputIds);
        Assert.Equal(reference.AttentionMask.Select(m => (long)m), batch.AttentionMask);
    }

    [Theory]
    [InlineData(EncoderFixtures.Bert)]
    [InlineData(EncoderFixtures.Xlmr)]
    public void PaddedBatch_PadsToLongestSequenceWithPadIdAndZeroMask(string fixture)
    {
        (string[] texts, int paddedLength) = EncoderFixtures.PaddedBatch(fixture);
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(fixture);
        int[][] sequences = texts.Select(t => tokenizer.Encode(t, EncoderFixtures.ReferenceMaxLength)).ToArray();

        TokenBatch batch = TokenBatch.Pad(sequences, tokenizer.PadId);

        Assert.Equal(paddedLength, batch.SequenceLength);
        for (int r = 0; r < sequences.Length; r++)
        {
            for (int t = 0; t < paddedLength; t++)
            {
                bool real = t < sequences[r].Length;
                Assert.Equal(real ? sequences[r][t] : tokenizer.PadId, batch.InputIds[r * paddedLength + t]);
                Assert.Equal(real ? 1 : 0, batch.AttentionMask[r * paddedLength + t]);
            }
        }
    }

    [Fact]
    public void Xlmr_DropsControlCharactersLikeNmtNfkc()
    {
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(EncoderFixtures.Xlmr);

        Assert.Equal(tokenizer.Encode("running shoes", 32), tokenizer.Encode("run\u0001ning\u007F sho\u001Fes", 32));
    }

    [Fact]
    public void Xlmr_TruncationInsideAnUnknownRunKeepsEndToken()
    {
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(EncoderFixtures.Xlmr);

        int[] ids = tokenizer.Encode(string.Concat(Enumerable.Repeat("텍스트 ", 40)), maxLength: 8);

        // "▁" (4) and one fused <unk> (3) per word, cut to 6 content ids.
        Assert.Equal([0, 4, 3, 4, 3, 4, 3, 2], ids);
    }

    [Fact]
    public void Bert_RemovesControlCharactersAndTreatsAllWhitespaceAsSpace()
    {
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(EncoderFixtures.Bert);

        Assert.Equal(tokenizer.Encode("Men's running shoes", 32), tokenizer.Encode("\u0000Men's\u00A0run\u200Bning\tshoes\n", 32));
    }

    [Fact]
    public void Bert_TruncatesToMaxLengthKeepingClsAndSep()
    {
        IEncoderTokenizer tokenizer = EncoderFixtures.LoadTokenizer(EncoderFixtures.Bert);

        int[] ids = tokenizer.Encode("Men's lightweight running shoes, breathable mesh", maxLength: 5);

        // [CLS] Men ' s [SEP]
        Assert.Equal([2, 906, 5, 58, 3], ids);
    }
}
