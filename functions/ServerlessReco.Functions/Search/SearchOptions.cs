namespace ServerlessReco.Functions.Search;

/// <summary>Search: the sentence encoder that embeds queries for semantic retrieval.</summary>
public sealed class SearchOptions
{
    public const string EncoderDirectoryKey = "RECO_ENCODER_DIR";

    /// <summary>
    /// The encoder folder (model.onnx + tokenizer file + encoder.json) the index's item embeddings were made with,
    /// the same setting the jobs read. Unset: lexical search only. Checked at start, loaded on the first search.
    /// </summary>
    [ConfigurationKeyName(EncoderDirectoryKey)]
    public string? EncoderDirectory { get; set; }
}
