using ServerlessReco.Embed;

namespace ServerlessReco.Tests.Embed;

public sealed class EmbedConfigTests
{
    [Theory]
    [InlineData(EncoderFixtures.Bert, "vocab.txt", EncoderFamily.BertWordPiece)]
    [InlineData(EncoderFixtures.Xlmr, "sentencepiece.bpe.model", EncoderFamily.XlmrSentencePiece)]
    public void WithoutEncoderJson_FamilyIsRecognisedFromTokenizerFile(string fixture, string tokenizerFile, EncoderFamily expected)
    {
        using var folder = new ScratchFolder(fixture, tokenizerFile);

        TextEncoderConfig config = TextEncoderConfig.FromDirectory(folder.Path);

        Assert.Equal(new TextEncoderConfig(expected, PoolingMode.Mean, Normalize: true, MaxLength: 128, TextPrefix: "", Lowercase: false), config);
    }

    [Fact]
    public void EncoderJson_OverridesDetectionAndIsUsedByLoad()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Xlmr, "model.onnx", "sentencepiece.bpe.model");
        folder.Write("encoder.json", """
            { "family": "xlmr-sentencepiece", "pooling": "cls", "normalize": false, "maxLength": 64, "textPrefix": "passage: " }
            """);

        using TextEncoder encoder = TextEncoder.Load(folder.Path);

        Assert.Equal(new TextEncoderConfig(EncoderFamily.XlmrSentencePiece, PoolingMode.Cls, Normalize: false, MaxLength: 64, TextPrefix: "passage: "), encoder.Config);
        Assert.EndsWith("/cls/max64/prefix:passage: ", encoder.Identity.ToString());
    }

    [Fact]
    public void ExplicitConfig_WinsOverEncoderJson()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "model.onnx", "vocab.txt");
        folder.Write("encoder.json", """{ "family": "bert-wordpiece", "pooling": "mean" }""");

        using TextEncoder encoder = TextEncoder.Load(folder.Path, EncoderFixtures.Config(EncoderFixtures.Bert, PoolingMode.Cls));

        Assert.Equal(PoolingMode.Cls, encoder.Config.Pooling);
    }

    [Fact]
    public void EncoderJsonWithUnknownKey_IsRejectedNamingTheKey()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "vocab.txt");
        folder.Write("encoder.json", """{ "family": "bert-wordpiece", "max_length": 64 }""");

        var e = Assert.Throws<InvalidDataException>(() => TextEncoderConfig.FromDirectory(folder.Path));

        Assert.Contains("encoder.json", e.Message);
        Assert.Contains("max_length", e.Message);
    }

    [Fact]
    public void EncoderJsonWithoutFamily_IsRejected()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "vocab.txt");
        folder.Write("encoder.json", """{ "pooling": "cls" }""");

        var e = Assert.Throws<InvalidDataException>(() => TextEncoderConfig.FromDirectory(folder.Path));

        Assert.Contains("family", e.Message);
    }

    [Fact]
    public void BothTokenizerFiles_WithoutEncoderJson_AsksForOne()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "vocab.txt");
        File.Copy(Path.Combine(EncoderFixtures.Folder(EncoderFixtures.Xlmr), "sentencepiece.bpe.model"), Path.Combine(folder.Path, "sentencepiece.bpe.model"));

        var e = Assert.Throws<InvalidDataException>(() => TextEncoderConfig.FromDirectory(folder.Path));

        Assert.Contains("ambiguous", e.Message);
        Assert.Contains("encoder.json", e.Message);
    }

    [Fact]
    public void MissingFolder_SaysWhichFolderAndWhatItNeeds()
    {
        string missing = Path.Combine(Path.GetTempPath(), "reco-embed-missing-" + Guid.NewGuid().ToString("N"));

        var e = Assert.Throws<DirectoryNotFoundException>(() => TextEncoder.Load(missing));

        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("model.onnx", e.Message);
    }

    [Fact]
    public void MissingModel_SaysHowToExportOne()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "vocab.txt");

        var e = Assert.Throws<FileNotFoundException>(() => TextEncoder.Load(folder.Path));

        Assert.Contains($"model.onnx not found in {folder.Path}", e.Message);
        Assert.Contains("optimum-cli export onnx", e.Message);
    }

    [Fact]
    public void NoTokenizerFile_ListsTheExpectedFiles()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Bert, "model.onnx");

        var e = Assert.Throws<FileNotFoundException>(() => TextEncoder.Load(folder.Path));

        Assert.Contains($"No tokenizer file in {folder.Path}", e.Message);
        Assert.Contains("vocab.txt", e.Message);
        Assert.Contains("sentencepiece.bpe.model", e.Message);
    }

    [Fact]
    public void TokenizerFileOfConfiguredFamilyMissing_NamesTheFile()
    {
        using var folder = new ScratchFolder(EncoderFixtures.Xlmr, "model.onnx");
        File.Copy(Path.Combine(EncoderFixtures.Folder(EncoderFixtures.Bert), "vocab.txt"), Path.Combine(folder.Path, "vocab.txt"));

        var e = Assert.Throws<FileNotFoundException>(() => TextEncoder.Load(folder.Path, EncoderFixtures.Config(EncoderFixtures.Xlmr)));

        Assert.Contains($"sentencepiece.bpe.model not found in {folder.Path}", e.Message);
        Assert.Contains("xlmr-sentencepiece", e.Message);
    }

    [Fact]
    public void MaxLengthBelowTwo_IsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            TextEncoder.Load(EncoderFixtures.Folder(EncoderFixtures.Bert), EncoderFixtures.Config(EncoderFixtures.Bert) with { MaxLength = 1 }));

        Assert.Contains("special tokens", e.Message);
    }
}
