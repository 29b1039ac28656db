using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessReco.Embed;

/// <summary>Tokenizer and id layout of a sentence-encoder family.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EncoderFamily>))]
public enum EncoderFamily
{
    /// <summary>BERT WordPiece (<c>vocab.txt</c>): LaBSE, multilingual BERT.</summary>
    [JsonStringEnumMemberName("bert-wordpiece")] BertWordPiece,

    /// <summary>XLM-R unigram SentencePiece (<c>sentencepiece.bpe.model</c>): multilingual-e5, paraphrase-multilingual-MiniLM.</summary>
    [JsonStringEnumMemberName("xlmr-sentencepiece")] XlmrSentencePiece,
}

/// <summary>How token vectors become one sentence vector.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PoolingMode>))]
public enum PoolingMode
{
    /// <summary>Average of the token vectors under the attention mask.</summary>
    [JsonStringEnumMemberName("mean")] Mean,

    /// <summary>Vector of the first (<c>[CLS]</c> / <c>&lt;s&gt;</c>) token.</summary>
    [JsonStringEnumMemberName("cls")] Cls,
}

/// <summary>
/// How a model folder is tokenized and pooled. Read from <c>encoder.json</c> in the model folder
/// (camelCase keys, e.g. <c>{"family":"xlmr-sentencepiece","pooling":"mean","textPrefix":"passage: "}</c>);
/// without that file the family is recognised from the tokenizer file present.
/// </summary>
/// <param name="Family">Tokenizer family; decides the tokenizer file and the special-token ids.</param>
/// <param name="Pooling">Mean pooling (sentence-transformers default) or the first token's vector.</param>
/// <param name="Normalize">L2-normalise each embedding, so a dot product is the cosine similarity.</param>
/// <param name="MaxLength">Longest token sequence fed to the model, special tokens included.</param>
/// <param name="TextPrefix">Prepended to every text before tokenization (e5 expects "passage: " or "query: ").</param>
/// <param name="Lowercase">Uncased BERT vocabularies: lowercase and strip accents before WordPiece.</param>
public sealed record TextEncoderConfig(
    EncoderFamily Family,
    PoolingMode Pooling = PoolingMode.Mean,
    bool Normalize = true,
    int MaxLength = TextEncoderConfig.DefaultMaxLength,
    string TextPrefix = "",
    bool Lowercase = false)
{
    public const int DefaultMaxLength = 128;
    public const string FileName = "encoder.json";
    internal const string WordPieceVocabFile = "vocab.txt";
    internal const string SentencePieceModelFile = "sentencepiece.bpe.model";

    internal static string TokenizerFile(EncoderFamily family) => family switch
    {
        EncoderFamily.BertWordPiece => WordPieceVocabFile,
        EncoderFamily.XlmrSentencePiece => SentencePieceModelFile,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>
    /// The configuration of a model folder: <c>encoder.json</c> when present, otherwise the family
    /// recognised from the tokenizer file with mean pooling, normalisation and the default max length.
    /// </summary>
    public static TextEncoderConfig FromDirectory(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, FileName);
        if (File.Exists(path))
            return Parse(File.ReadAllText(path), path);

        bool hasVocab = File.Exists(Path.Combine(modelDirectory, WordPieceVocabFile));
        bool hasSentencePiece = File.Exists(Path.Combine(modelDirectory, SentencePieceModelFile));
        return (hasVocab, hasSentencePiece) switch
        {
            (true, false) => new TextEncoderConfig(EncoderFamily.BertWordPiece),
            (false, true) => new TextEncoderConfig(EncoderFamily.XlmrSentencePiece),
            (true, true) => throw new InvalidDataException(
                $"Both {WordPieceVocabFile} and {SentencePieceModelFile} are in {modelDirectory}, so the tokenizer family is ambiguous: " +
                $"add {FileName} with \"family\": \"bert-wordpiece\" or \"xlmr-sentencepiece\", or remove the file that does not belong to the model."),
            (false, false) => throw new FileNotFoundException(
                $"No tokenizer file in {modelDirectory}: expected {WordPieceVocabFile} (BERT WordPiece, e.g. LaBSE) or " +
                $"{SentencePieceModelFile} (XLM-R SentencePiece, e.g. multilingual-e5). Copy the one shipped with the model next to model.onnx."),
        };
    }

    internal static TextEncoderConfig Parse(string json, string sourcePath)
    {
        TextEncoderConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, TextEncoderConfigJsonContext.Default.TextEncoderConfig);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{sourcePath} is not a valid encoder configuration ({e.Message}). Expected e.g. " +
                "{\"family\": \"xlmr-sentencepiece\", \"pooling\": \"mean\", \"normalize\": true, \"maxLength\": 128, \"textPrefix\": \"passage: \"}.", e);
        }
        return config ?? throw new InvalidDataException($"{sourcePath} holds JSON null instead of an encoder configuration object.");
    }

    internal void Validate()
    {
        if (MaxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength includes the two special tokens, so it must be at least 2.");
        if (!Enum.IsDefined(Family))
            throw new ArgumentOutOfRangeException(nameof(Family), Family, "Unknown encoder family.");
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling mode.");
        ArgumentNullException.ThrowIfNull(TextPrefix);
    }
}

// Source-generated so that reading encoder.json needs no reflection (the library is AOT-compatible).
// "family" is required so that encoder.json alone says how the folder is tokenized, and unknown keys are
// rejected because a misspelt one (e.g. "max_length") would otherwise be ignored and change the embeddings silently.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(TextEncoderConfig))]
internal sealed partial class TextEncoderConfigJsonContext : JsonSerializerContext;
