using ServerlessReco.Domain;

namespace ServerlessReco.Train;

/// <summary>
/// Events turned into the numbers training needs: dense user and item indices, the user x item strength
/// matrix r (<see cref="InteractionStrength"/> as of the reference time), each user's market, and item popularity
/// per market.
/// </summary>
public sealed class TrainingData
{
    public required string[] UserIds { get; init; }
    public required string[] ItemIds { get; init; }
    public required CsrMatrix UserItems { get; init; }
    /// <summary>Which items each user bought (value: number of purchase events).</summary>
    public required CsrMatrix Purchases { get; init; }
    /// <summary>Market index (into <see cref="Markets"/>) of each user's latest event.</summary>
    public required int[] UserMarket { get; init; }
    /// <summary>"*" (global) first, then every market seen, ordinal order.</summary>
    public required string[] Markets { get; init; }
    /// <summary>Decayed weight per market row and item, anonymous events included.</summary>
    public required float[] MarketItemWeight { get; init; }
    public required DateTimeOffset NewestEvent { get; init; }
    public required long EventCount { get; init; }
    public required long AnonymousEventCount { get; init; }

    public static TrainingData Build(IReadOnlyList<InteractionEvent> events, InteractionStrength strength, DateTimeOffset? referenceTime = null, IEnumerable<string>? extraItems = null)
    {
        var newest = events.Count == 0 ? DateTimeOffset.UnixEpoch : events.Max(e => e.Timestamp);
        var reference = referenceTime ?? newest;
        var userIds = events.Where(e => e.User.Length > 0).Select(e => e.User).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var itemIds = events.Select(e => e.Item).Concat(extraItems ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var markets = events.Select(e => e.Market).Where(m => m != Domain.Markets.Unknown).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Prepend("*").ToArray();
        var userIndex = IdIndex.Of(userIds);
        var itemIndex = IdIndex.Of(itemIds);
        var marketIndex = IdIndex.Of(markets);

        var rows = new List<int>(events.Count);
        var cols = new List<int>(events.Count);
        var vals = new List<float>(events.Count);
        var buyers = new List<int>();
        var bought = new List<int>();
        var userMarket = new int[userIds.Length];
        var userLatest = new DateTimeOffset[userIds.Length];
        var popularity = new float[markets.Length * itemIds.Length];
        long anonymous = 0;

        foreach (var e in events)
        {
            float w = strength.Of(e, reference);
            if (w <= 0) continue;
            int item = itemIndex[e.Item];
            popularity[item] += w;
            if (marketIndex.TryGetValue(e.Market, out int m) && m > 0) popularity[m * itemIds.Length + item] += w;
            if (e.User.Length == 0) { anonymous++; continue; }
            int user = userIndex[e.User];
            if (e.Type == EventType.Purchase) { buyers.Add(user); bought.Add(item); }
            rows.Add(user);
            cols.Add(item);
            vals.Add(w);
            if (e.Timestamp >= userLatest[user] && marketIndex.TryGetValue(e.Market, out int um))
            {
                userLatest[user] = e.Timestamp;
                userMarket[user] = um;
            }
        }
        return new TrainingData
        {
            UserIds = userIds,
            ItemIds = itemIds,
            UserItems = CsrMatrix.FromCoordinates(userIds.Length, itemIds.Length, rows.ToArray(), cols.ToArray(), vals.ToArray()),
            Purchases = CsrMatrix.FromCoordinates(userIds.Length, itemIds.Length, buyers.ToArray(), bought.ToArray(), Enumerable.Repeat(1f, buyers.Count).ToArray()),
            UserMarket = userMarket,
            Markets = markets,
            MarketItemWeight = popularity,
            NewestEvent = newest,
            EventCount = events.Count,
            AnonymousEventCount = anonymous,
        };
    }

    /// <summary>
    /// Popularity per market shrunk toward global popularity: (w_m(i) + beta * p(i)) / (W_m + beta), where p is
    /// the global share. A market with little data reads mostly as global; a large one as itself.
    /// </summary>
    public float[] ShrunkPopularity(float beta)
    {
        int items = ItemIds.Length;
        var result = new float[MarketItemWeight.Length];
        var global = MarketItemWeight.AsSpan(0, items);
        float globalTotal = Math.Max(1e-12f, System.Numerics.Tensors.TensorPrimitives.Sum(global));
        for (int i = 0; i < items; i++) result[i] = global[i] / globalTotal;
        for (int m = 1; m < Markets.Length; m++)
        {
            var row = MarketItemWeight.AsSpan(m * items, items);
            float total = System.Numerics.Tensors.TensorPrimitives.Sum(row);
            var outRow = result.AsSpan(m * items, items);
            for (int i = 0; i < items; i++) outRow[i] = (row[i] + beta * result[i]) / (total + beta);
        }
        return result;
    }
}
