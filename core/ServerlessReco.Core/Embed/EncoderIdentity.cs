namespace ServerlessReco.Embed;

/// <summary>
/// What an item embedding depends on besides the text: the encoder family, model.onnx's SHA-256, pooling,
/// normalisation, max length, lowercasing and text prefix. Recorded in the manifest of every version with
/// embeddings; two vectors are comparable only when their identities are equal.
/// </summary>
public sealed record EncoderIdentity(
    string Family, string ModelSha256, string Pooling, bool Normalize, int MaxLength, bool Lowercase = false, string TextPrefix = "")
{
    /// <summary>One line for logs and benchmark output: family/sha256:first 12 digits/pooling(+l2)/maxN[/lowercase][/prefix:...].</summary>
    public override string ToString() =>
        $"{Family}/sha256:{ModelSha256[..Math.Min(12, ModelSha256.Length)]}/{Pooling}{(Normalize ? "+l2" : "")}/max{MaxLength}"
        + (Lowercase ? "/lowercase" : "") + (TextPrefix.Length > 0 ? $"/prefix:{TextPrefix}" : "");
}
