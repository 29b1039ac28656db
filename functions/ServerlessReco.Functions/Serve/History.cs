using ServerlessReco.Domain;
using ServerlessReco.Train;

namespace ServerlessReco.Functions.Serve;

/// <summary>What a request knows about the shopper from the events table: fold-in input, purchases, explanations.</summary>
public sealed class History
{
    /// <summary>Only the most recent distinct items explain a recommendation; older ones say little about today.</summary>
    private const int ExplainingItems = 50;

    private static readonly EventWeights Weights = new();

    /// <summary>Model item index -> decayed strength r, as training computes it, for the events to fold in.</summary>
    public Dictionary<int, float> FoldIn { get; } = [];
    public HashSet<string> Purchased { get; } = new(StringComparer.Ordinal);
    private readonly List<(int Index, bool Purchased)> _recentItems = [];
    private readonly List<string> _itemIds = [];

    /// <param name="events">Newest first.</param>
    /// <param name="userRow">The shopper's row in the model, or -1: with a row, fold in only what the model has not seen.</param>
    public static History From(IReadOnlyList<InteractionEvent> events, ServingModel model, int userRow, DateTimeOffset now)
    {
        bool known = userRow >= 0;
        var history = new History();
        double decayPerDay = model.HalfLifeDays > 0 ? Math.Log(2) / model.HalfLifeDays : 0;
        var trainedUntil = model.Manifest.TrainedUntil;
        var seen = new HashSet<int>();
        foreach (var e in events)
        {
            if (e.Type == EventType.Purchase) history.Purchased.Add(e.Item);
            history._itemIds.Add(e.Item);
            if (!model.ItemIndex.TryGetValue(e.Item, out int item)) continue;
            if (seen.Add(item) && history._recentItems.Count < ExplainingItems) history._recentItems.Add((item, false));
            if (known && e.Timestamp <= trainedUntil) continue;
            float w = Weights.Of(e) * (float)Math.Exp(-decayPerDay * Math.Max(0, (now - e.Timestamp).TotalDays));
            if (w > 0) history.FoldIn[item] = history.FoldIn.GetValueOrDefault(item) + w;
        }
        // What the shopper bought in the training data: excluded like any purchase, and the oldest explanations.
        if (known)
        {
            foreach (int item in model.Artifacts.PurchasesOf(userRow))
            {
                var id = model.Artifacts.ItemIds[item];
                history.Purchased.Add(id);
                if (seen.Add(item) && history._recentItems.Count < ExplainingItems) history._recentItems.Add((item, true));
            }
        }
        for (int i = 0; i < history._recentItems.Count; i++)
        {
            var (index, _) = history._recentItems[i];
            history._recentItems[i] = (index, history.Purchased.Contains(model.Artifacts.ItemIds[index]));
        }
        return history;
    }

    /// <summary>The categories the shopper buys from (or, without purchases, browses): "new" for cross-category slots.</summary>
    public HashSet<string> Categories(ServingModel model, CatalogCache catalog)
    {
        var source = Purchased.Count > 0 ? Purchased : (IEnumerable<string>)_itemIds;
        var categories = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in source)
        {
            if (catalog.TryGet(id, out var item) && item.Category.Length > 0) categories.Add(item.Category);
            else if (model.ItemIndex.TryGetValue(id, out int index) && model.Categories[index] is { Length: > 0 } c) categories.Add(c);
        }
        return categories;
    }

    /// <summary>The shopper's recent item closest (item-factor cosine) to the recommended one.</summary>
    public Reason Explain(ServingModel model, int item)
    {
        int best = -1;
        bool bought = false;
        float bestCosine = float.NegativeInfinity;
        foreach (var (index, purchased) in _recentItems)
        {
            if (index == item) continue;
            float cosine = model.Cosine(index, item);
            if (cosine > bestCosine) { bestCosine = cosine; best = index; bought = purchased; }
        }
        if (best < 0) return new Reason("matches-your-taste");
        return new Reason(bought ? "because-you-bought" : "similar-to-recent", model.Artifacts.ItemIds[best]);
    }
}
