namespace ServerlessReco.Functions.Search;

/// <summary>Search: the sentence encoder that embeds queries for semantic retrieval.</summary>
public sealed class SearchOptions
{
    public const string EncoderDirectoryKey = Embed.TextEncoder.DirectoryVariable;

    /// <summary>
    /// The encoder folder (model.onnx + tokenizer file + encoder.json) the index's item embeddings were made with,
    /// the same setting the jobs read; a relative path is taken from the handler's own folder, where
    /// `functions/publish.sh --encoder DIR` puts it. Empty: lexical search only. Checked at start, loaded on the
    /// first search.
    /// </summary>
    [ConfigurationKeyName(EncoderDirectoryKey)]
    public string EncoderDirectory { get; set; } = "";

    /// <summary>The folder to load, or null when none is configured.</summary>
    public string? EncoderPath => EncoderDirectory.Length == 0 ? null : Path.GetFullPath(EncoderDirectory, AppContext.BaseDirectory);
}
