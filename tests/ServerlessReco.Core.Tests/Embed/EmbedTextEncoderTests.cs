using System.Collections.Concurrent;
using ServerlessReco.Embed;

namespace ServerlessReco.Tests.Embed;

public sealed class EncoderCache : IDisposable
{
    private readonly ConcurrentDictionary<(string Fixture, PoolingMode Pooling), TextEncoder> _encoders = new();

    public TextEncoder Get(string fixture, PoolingMode pooling = PoolingMode.Mean) =>
        _encoders.GetOrAdd((fixture, pooling), key => TextEncoder.Load(EncoderFixtures.Folder(key.Fixture), EncoderFixtures.Config(key.Fixture, key.Pooling)));

    public void Dispose()
    {
        foreach (TextEncoder encoder in _encoders.Values)
            encoder.Dispose();
    }
}

public sealed class EmbedTextEncoderTests(EncoderCache encoders) : IClassFixture<EncoderCache>
{
    private const float Tolerance = 1e-5f;

    [Theory]
    [MemberData(nameof(EncoderFixtures.SentenceCases), MemberType = typeof(EncoderFixtures))]
    public void MeanPooledEmbedding_MatchesReference(string fixture, int sentence)
    {
        ReferenceSentence reference = EncoderFixtures.Sentences(fixture)[sentence];

        float[] embedding = encoders.Get(fixture, PoolingMode.Mean).Embed([reference.Text]);

        EncoderFixtures.AssertClose(reference.MeanNormalized, embedding, Tolerance, $"{fixture} mean, sentence {sentence}");
    }

    [Theory]
    [MemberData(nameof(EncoderFixtures.SentenceCases), MemberType = typeof(EncoderFixtures))]
    public void ClsPooledEmbedding_MatchesReference(string fixture, int sentence)
    {
        ReferenceSentence reference = EncoderFixtures.Sentences(fixture)[sentence];

        float[] embedding = encoders.Get(fixture, PoolingMode.Cls).Embed([reference.Text]);

        EncoderFixtures.AssertClose(reference.ClsNormalized, embedding, Tolerance, $"{fixture} cls, sentence {sentence}");
    }

    [Theory]
    [InlineData(EncoderFixtures.Bert)]
    [InlineData(EncoderFixtures.Xlmr)]
    public void EmbeddingInsideBatchWithLongerSentence_EqualsEmbeddingAlone(string fixture)
    {
        TextEncoder encoder = encoders.Get(fixture);
        IReadOnlyList<ReferenceSentence> sentences = EncoderFixtures.Sentences(fixture);
        string shortText = sentences.MinBy(s => s.InputIds.Length)!.Text;
        string longText = sentences.MaxBy(s => s.InputIds.Length)!.Text;

        float[] alone = encoder.Embed([shortText]);
        float[] padded = encoder.Embed([shortText, longText]);

        EncoderFixtures.AssertClose(alone, padded.AsSpan(0, encoder.Dimension), Tolerance, $"{fixture} '{shortText}' padded next to a {EncoderFixtures.ReferenceMaxLength}-token text");
    }

    [Theory]
    [InlineData(EncoderFixtures.Bert)]
    [InlineData(EncoderFixtures.Xlmr)]
    public void BatchSizes1And3And16_GiveIdenticalResultsInInputOrder(string fixture)
    {
        TextEncoder encoder = encoders.Get(fixture);
        IReadOnlyList<ReferenceSentence> sentences = EncoderFixtures.Sentences(fixture);
        string[] texts = sentences.Select(s => s.Text).ToArray();

        float[] one = encoder.Embed(texts, batchSize: 1);
        float[] three = encoder.Embed(texts, batchSize: 3);
        float[] sixteen = encoder.Embed(texts, batchSize: 16);

        Assert.Equal(texts.Length * encoder.Dimension, one.Length);
        EncoderFixtures.AssertClose(one, three, 1e-6f, $"{fixture} batch 3 vs 1");
        EncoderFixtures.AssertClose(one, sixteen, 1e-6f, $"{fixture} batch 16 vs 1");
        for (int i = 0; i < sentences.Count; i++)
            EncoderFixtures.AssertClose(sentences[i].MeanNormalized, sixteen.AsSpan(i * encoder.Dimension, encoder.Dimension), Tolerance, $"{fixture} row {i}");
    }

    [Theory]
    [InlineData(EncoderFixtures.Bert, "bert-wordpiece/sha256:")]
    [InlineData(EncoderFixtures.Xlmr, "xlmr-sentencepiece/sha256:")]
    public void DimensionAndIdentity_DescribeTheModel(string fixture, string identityPrefix)
    {
        TextEncoder encoder = encoders.Get(fixture, PoolingMode.Cls);

        Assert.Equal(32, encoder.Dimension);
        Assert.StartsWith(identityPrefix, encoder.Identity.ToString());
        Assert.Matches(@"/sha256:[0-9a-f]{12}/cls\+l2/max32$", encoder.Identity.ToString());
        Assert.NotEqual(encoder.Identity, encoders.Get(fixture, PoolingMode.Mean).Identity);
    }

    [Fact]
    public void EmptyInput_GivesEmptyOutput()
    {
        Assert.Empty(encoders.Get(EncoderFixtures.Xlmr).Embed([]));
    }
}
