using System.Buffers;
using ServerlessReco.Domain;
using ServerlessReco.Train;

namespace ServerlessReco.Functions.Serve;

public readonly record struct Candidate(int Index, float Score, CatalogItem Item, string Category);

/// <summary>What may be shown: in the catalogue, sold in the market, in stock, and not excluded by the request.</summary>
public sealed record ItemFilter(
    ServingModel Model, CatalogCache Catalog, string Market, string? Category, HashSet<string> Exclude,
    HashSet<string> Purchased, HashSet<string> RepeatPurchaseCategories)
{
    private readonly CatalogItem?[] _items = Catalog.ItemsOf(Model);

    /// <summary>When set, only items outside these categories pass (cross-category slots).</summary>
    public HashSet<string>? OnlyOutside { get; init; }

    public bool Allows(int index, out CatalogItem item, out string category)
    {
        category = "";
        item = _items[index]!;
        if (item is null || !item.InStock || !SoldIn(item, Market)) return false;
        var id = Model.Artifacts.ItemIds[index];
        if (Exclude.Count > 0 && Exclude.Contains(id)) return false;
        category = item.Category.Length > 0 ? item.Category : Model.Categories[index] ?? "";
        if (Category is not null && !string.Equals(category, Category, StringComparison.OrdinalIgnoreCase)) return false;
        if (OnlyOutside is not null && OnlyOutside.Contains(category)) return false;
        // Bought items are not offered again, except in categories configured as repeat purchases (consumables).
        return Purchased.Count == 0 || !Purchased.Contains(id) || RepeatPurchaseCategories.Contains(category);
    }

    private static bool SoldIn(CatalogItem item, string market)
    {
        foreach (var m in item.Markets)
            if (string.Equals(m, market, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

public static class Candidates
{
    /// <summary>The best <paramref name="count"/> items the filter allows by ALS score for the user vector, best first.</summary>
    public static List<Candidate> Top(ServingModel model, float[] user, int count, ItemFilter filter)
    {
        var indices = ArrayPool<int>.Shared.Rent(count);
        var scores = ArrayPool<float>.Shared.Rent(count);
        try
        {
            int got = model.QuantizedItemFactors.TopExact(model.Artifacts.ItemFactors, user, count,
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

public static class Reranking
{
    /// <summary>
    /// Maximal marginal relevance: repeatedly takes the candidate maximising
    /// lambda * relevance - (1 - lambda) * (highest cosine to anything already taken), relevance being the score
    /// rescaled to [0, 1] over the pool so both terms share a scale. lambda = 1 keeps the score order.
    /// </summary>
    public static List<Candidate> MaximalMarginalRelevance(ServingModel model, List<Candidate> pool, int count, float lambda)
    {
        int p = pool.Count;
        var chosen = new List<Candidate>(Math.Min(count, p));
        if (p == 0) return chosen;
        float max = pool.Max(c => c.Score), min = pool.Min(c => c.Score);
        float range = max > min ? max - min : 1;
        var redundancy = ArrayPool<float>.Shared.Rent(p);
        var taken = ArrayPool<bool>.Shared.Rent(p);
        try
        {
            Array.Fill(redundancy, 0f, 0, p);
            Array.Fill(taken, false, 0, p);
            while (chosen.Count < Math.Min(count, p))
            {
                int best = -1;
                float bestValue = float.NegativeInfinity;
                for (int j = 0; j < p; j++)
                {
                    if (taken[j]) continue;
                    float value = lambda * (pool[j].Score - min) / range - (1 - lambda) * redundancy[j];
                    if (value > bestValue) { bestValue = value; best = j; }
                }
                taken[best] = true;
                chosen.Add(pool[best]);
                for (int j = 0; j < p; j++)
                    if (!taken[j]) redundancy[j] = Math.Max(redundancy[j], model.Cosine(pool[j].Index, pool[best].Index));
            }
            return chosen;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(redundancy);
            ArrayPool<bool>.Shared.Return(taken);
        }
    }

    /// <summary>
    /// Makes sure at least <paramref name="slots"/> items come from categories outside <paramref name="usual"/>,
    /// replacing the lowest-placed usual-category items with the best-scored fresh ones.
    /// </summary>
    public static void GuaranteeFresh(List<Candidate> chosen, IEnumerable<Candidate> candidates, HashSet<string> usual, int slots)
    {
        int have = chosen.Count(c => !usual.Contains(c.Category));
        if (have >= slots) return;
        var taken = chosen.Select(c => c.Index).ToHashSet();
        var fresh = candidates.Where(c => !usual.Contains(c.Category) && taken.Add(c.Index)).OrderByDescending(c => c.Score).Take(slots - have);
        foreach (var candidate in fresh.ToList())
        {
            int replace = chosen.FindLastIndex(c => usual.Contains(c.Category));
            if (replace < 0) break;
            chosen.RemoveAt(replace);
            chosen.Add(candidate);
        }
    }
}
