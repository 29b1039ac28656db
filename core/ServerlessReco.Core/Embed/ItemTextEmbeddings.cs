using System.Numerics.Tensors;
using ServerlessReco.Domain;

namespace ServerlessReco.Embed;

/// <summary>
/// One embedding per catalogue item from all of its titles: the source title and every stored translation.
/// </summary>
/// <remarks>
/// Each text's embedding is L2-normalised, the item's texts are averaged, and the mean is normalised again. A
/// multilingual encoder maps a title and its translations close together, so the mean is the item's position
/// in that shared space with the noise of any single phrasing averaged out; a shopper's text in any of those
/// languages then lands near it. Normalising each text first gives every language the same weight whatever
/// the encoder's own scaling.
/// </remarks>
public static class ItemTextEmbeddings
{
    // Texts handed to the encoder per call: large enough for its length-sorted batching, small enough for live progress.
    private const int TextsPerChunk = 512;

    /// <summary>
    /// Every item's embedding (row-major, items x the encoder's dimension; a zero row for an item that is null or has
    /// no title), each distinct text embedded once however many items or languages share it.
    /// </summary>
    /// <param name="progress">Called with (texts embedded, texts to embed) as the encoder goes.</param>
    public static ItemEmbeddingBatch Embed(IReadOnlyList<CatalogItem?> items, TextEncoder encoder, int batchSize,
        Action<int, int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int d = encoder.Dimension;
        var textIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        var itemRows = new int[items.Count][];
        for (int i = 0; i < items.Count; i++)
        {
            itemRows[i] = [.. (items[i] is { } item ? TextsOf(item) : []).Select(text =>
            {
                if (!textIndex.TryGetValue(text, out int row)) { row = texts.Count; textIndex[text] = row; texts.Add(text); }
                return row;
            })];
        }

        var textEmbeddings = new float[texts.Count * d];
        progress?.Invoke(0, texts.Count);
        for (int start = 0; start < texts.Count; start += TextsPerChunk)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(TextsPerChunk, texts.Count - start);
            encoder.Embed(texts.GetRange(start, count), batchSize).CopyTo(textEmbeddings.AsSpan(start * d));
            progress?.Invoke(start + count, texts.Count);
        }

        var embeddings = new float[items.Count * d];
        var hasText = new bool[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            hasText[i] = itemRows[i].Length > 0;
            Combine(textEmbeddings, d, itemRows[i], embeddings.AsSpan(i * d, d));
        }
        return new ItemEmbeddingBatch(embeddings, hasText, texts.Count);
    }

    /// <summary>The item's distinct non-blank titles, source title first; empty when it has none.</summary>
    public static IReadOnlyList<string> TextsOf(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var texts = new List<string>(1 + (item.Titles?.Count ?? 0));
        if (!string.IsNullOrWhiteSpace(item.Title)) texts.Add(item.Title);
        foreach (var (_, title) in (item.Titles ?? []).OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
            if (!string.IsNullOrWhiteSpace(title) && !texts.Contains(title, StringComparer.Ordinal)) texts.Add(title);
        return texts;
    }

    /// <summary>
    /// Writes the normalised mean of the normalised rows <paramref name="rows"/> of <paramref name="textEmbeddings"/>
    /// (row-major, <paramref name="dimension"/> wide) into <paramref name="result"/>; zeros when there are no rows.
    /// </summary>
    public static void Combine(ReadOnlySpan<float> textEmbeddings, int dimension, ReadOnlySpan<int> rows, Span<float> result)
    {
        Span<float> target = result[..dimension];
        target.Clear();
        foreach (int row in rows)
        {
            ReadOnlySpan<float> e = textEmbeddings.Slice(row * dimension, dimension);
            float norm = TensorPrimitives.Norm(e);
            if (norm > 0) TensorPrimitives.MultiplyAdd(e, 1f / norm, target, target);
        }
        float total = TensorPrimitives.Norm(target);
        if (total > 0) TensorPrimitives.Divide(target, total, target);
    }
}

/// <param name="Embeddings">Row-major, items x dimension.</param>
/// <param name="HasText">Whether each item had a title, and so a non-zero row.</param>
/// <param name="DistinctTexts">Texts the encoder embedded.</param>
public sealed record ItemEmbeddingBatch(float[] Embeddings, bool[] HasText, int DistinctTexts);
