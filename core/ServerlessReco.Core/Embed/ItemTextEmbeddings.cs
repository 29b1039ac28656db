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
