using System.Text.Json;
using ServerlessReco.Embed;

namespace ServerlessReco.Tests.Embed;

internal sealed record ReferenceSentence(string Text, int[] InputIds, int[] AttentionMask, float[] MeanNormalized, float[] ClsNormalized);

/// <summary>The encoder fixtures of tests/fixtures/encoders and their PyTorch / Hugging Face references.</summary>
internal static class EncoderFixtures
{
    public const string Bert = "bert-wordpiece";
    public const string Xlmr = "xlmr-sentencepiece";
    public const int ReferenceMaxLength = 32;

    public static string Folder(string fixture) => Path.Combine(AppContext.BaseDirectory, "fixtures", "encoders", fixture);

    public static EncoderFamily Family(string fixture) => fixture == Bert ? EncoderFamily.BertWordPiece : EncoderFamily.XlmrSentencePiece;

    public static TextEncoderConfig Config(string fixture, PoolingMode pooling = PoolingMode.Mean) =>
        new(Family(fixture), pooling, Normalize: true, MaxLength: ReferenceMaxLength);

    internal static IEncoderTokenizer LoadTokenizer(string fixture) => fixture == Bert
        ? BertWordPieceTokenizer.Load(Path.Combine(Folder(fixture), "vocab.txt"), lowercase: false)
        : XlmrSentencePieceTokenizer.Load(Path.Combine(Folder(fixture), "sentencepiece.bpe.model"));

    public static IReadOnlyList<ReferenceSentence> Sentences(string fixture)
    {
        using JsonDocument doc = Reference(fixture);
        return doc.RootElement.GetProperty("sentences").EnumerateArray().Select(s => new ReferenceSentence(
            s.GetProperty("text").GetString()!,
            s.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            s.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            s.GetProperty("mean_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            s.GetProperty("cls_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray())).ToList();
    }

    public static (string[] Texts, int PaddedLength) PaddedBatch(string fixture)
    {
        using JsonDocument doc = Reference(fixture);
        JsonElement batch = doc.RootElement.GetProperty("padded_batch");
        return (batch.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray(), batch.GetProperty("padded_length").GetInt32());
    }

    /// <summary>(fixture, sentence index) for every reference sentence of both fixtures.</summary>
    public static TheoryData<string, int> SentenceCases()
    {
        var cases = new TheoryData<string, int>();
        foreach (string fixture in new[] { Bert, Xlmr })
        {
            for (int i = 0; i < Sentences(fixture).Count; i++)
                cases.Add(fixture, i);
        }
        return cases;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (MathF.Abs(expected[i] - actual[i]) > tolerance)
                Assert.Fail($"{what}: component {i} is {actual[i]}, expected {expected[i]} (tolerance {tolerance}).");
        }
    }

    private static JsonDocument Reference(string fixture) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(fixture), "reference.json")));
}

/// <summary>A scratch folder holding chosen fixture files, deleted afterwards.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder(string? fixture = null, params string[] files)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reco-embed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        foreach (string file in files)
            File.Copy(System.IO.Path.Combine(EncoderFixtures.Folder(fixture!), file), System.IO.Path.Combine(Path, file));
    }

    public string Path { get; }

    public void Write(string file, string content) => File.WriteAllText(System.IO.Path.Combine(Path, file), content);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
