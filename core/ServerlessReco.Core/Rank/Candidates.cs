using System.Buffers;
using ServerlessReco.Domain;

namespace ServerlessReco.Rank;

public readonly record struct Candidate(int Index, float Score, CatalogItem Item, string Category);

/// <summary>
/// What may be shown: in the catalogue, sold in the market (any market when null: shoppers whose country is
/// unknown), in stock, and not excluded by the request.
/// </summary>
public sealed record ItemFilter(
    ServingModel Model, IServingCatalog Catalog, string? Market, string? Category, IReadOnlySet<string> Exclude,
    IReadOnlySet<string> Purchased, IReadOnlySet<string> RepeatPurchaseCategories)
{
    private readonly CatalogItem?[] _items = Catalog.ItemsOf(Model);

    /// <summary>When set, only items outside these categories pass (cross-category slots).</summary>
    public HashSet<string>? OnlyOutside { get; init; }

    public bool Allows(int index, out CatalogItem item, out string category)
    {
        category = "";
        item = _items[index]!;
        if (!Sellable(item, Market)) return false;
        var id = Model.Artifacts.ItemIds[index];
        if (Exclude.Count > 0 && Exclude.Contains(id)) return false;
        category = item.Category.Length > 0 ? item.Category : Model.Categories[index] ?? "";
        if (Category is not null && !string.Equals(category, Category, StringComparison.OrdinalIgnoreCase)) return false;
        if (OnlyOutside is not null && OnlyOutside.Contains(category)) return false;
        // Bought items are not offered again, except in categories configured as repeat purchases (consumables).
        return Purchased.Count == 0 || !Purchased.Contains(id) || RepeatPurchaseCategories.Contains(category);
    }

    /// <summary>In the catalogue, in stock and sold in the market (any market when null): what every list shows, search included.</summary>
    public static bool Sellable([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] CatalogItem? item, string? market) =>
        item is not null && item.InStock && (market is null || SoldIn(item, market));

    private static bool SoldIn(CatalogItem item, string market)
    {
        foreach (var m in item.Markets)
            if (string.Equals(m, market, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

public static class Candidates
{
    /// <summary>
    /// The best <paramref name="count"/> items the filter allows by dot product with the user vector, best first:
    /// an exact top-k over the int8 factors (see <see cref="QuantizedItemFactors"/>) that tests the filter as it goes.
    /// </summary>
    public static List<Candidate> Top(ServingModel model, float[] user, int count, ItemFilter filter) =>
        Top(model.QuantizedItemFactors, model.Artifacts.ItemFactors, user, count, filter);

    /// <summary>As above, for any item matrix with its int8 copy (the sequence model's embeddings, the blend's joint rows).</summary>
    public static List<Candidate> Top(QuantizedItemFactors quantized, float[] rows, float[] query, int count, ItemFilter filter)
    {
        var indices = ArrayPool<int>.Shared.Rent(count);
        var scores = ArrayPool<float>.Shared.Rent(count);
        try
        {
            int got = quantized.TopExact(rows, query, count,
                index => filter.Allows(index, out _, out _), indices, scores);
            var result = new List<Candidate>(got);
            for (int j = 0; j < got; j++)
                // A catalogue change landing mid-request may withdraw an item after it was selected.
                if (filter.Allows(indices[j], out var item, out var category))
                    result.Add(new Candidate(indices[j], scores[j], item, category));
            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>
    /// The best <paramref name="count"/> items the filter allows, best first. Most top-scored items pass, so it
    /// selects a few more than asked and widens the selection only when filters remove too many.
    /// </summary>
    public static List<Candidate> Top(ReadOnlySpan<float> scores, int count, ItemFilter filter)
    {
        var result = new List<Candidate>(count);
        int n = scores.Length;
        int m = Math.Min(n, count * 2 + 32);
        while (true)
        {
            var indices = ArrayPool<int>.Shared.Rent(m);
            var top = ArrayPool<float>.Shared.Rent(m);
            try
            {
                int got = TopK.Select(scores, m, indices.AsSpan(0, m), top.AsSpan(0, m));
                result.Clear();
                for (int j = 0; j < got && result.Count < count; j++)
                    if (filter.Allows(indices[j], out var item, out var category))
                        result.Add(new Candidate(indices[j], top[j], item, category));
                if (result.Count == count || got < m || m == n) return result;
            }
            finally
            {
                ArrayPool<int>.Shared.Return(indices);
                ArrayPool<float>.Shared.Return(top);
            }
            m = (int)Math.Min(n, 4L * m);
        }
    }
}
