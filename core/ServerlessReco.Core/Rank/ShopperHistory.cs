using ServerlessReco.Domain;
using ServerlessReco.EventLog;

namespace ServerlessReco.Rank;

/// <summary>
/// What ranking knows about a shopper: the model's row for them (or -1), the strengths to fold in, what they
/// bought (excluded from recommendations), and the recent items that explain a recommendation.
/// </summary>
public sealed class ShopperHistory
{
    /// <summary>Only the most recent distinct items explain a recommendation; older ones say little about today.</summary>
    private const int ExplainingItems = 50;

    private ShopperHistory(int modelRow) => ModelRow = modelRow;

    /// <summary>The shopper's row in the model, or -1 when the model does not know them.</summary>
    public int ModelRow { get; }
    /// <summary>Model item index -> strength r, by the model's own <see cref="Train.InteractionStrength"/>, for the events to fold in.</summary>
    public Dictionary<int, float> FoldIn { get; } = [];
    public HashSet<string> Purchased { get; } = new(StringComparer.Ordinal);
    /// <summary>
    /// Model item indices the sequence model reads, oldest first: the training history the version keeps, then the
    /// events it has not seen; empty when the version has no sequence model.
    /// </summary>
    public int[] Sequence { get; private set; } = [];
    private readonly List<(int Index, bool Purchased)> _recentItems = [];
    private readonly List<string> _itemIds = [];

    /// <param name="events">Newest first.</param>
    /// <param name="modelRow">The shopper's row in the model, or -1: with a row, fold in only what the model has not seen.</param>
    /// <param name="now">The time strengths are decayed to, as training decays to its newest event.</param>
    /// <param name="erasedAt">The shopper's latest erasure, or null: what it covers is left out, as training leaves it out.</param>
    public static ShopperHistory From(IReadOnlyList<InteractionEvent> events, ServingModel model, int modelRow, DateTimeOffset now, DateTimeOffset? erasedAt = null)
    {
        if (erasedAt is { } at)
        {
            events = [.. events.Where(e => !EventLogStore.Covers(at, e))];
            // A model trained on events after the erasure read the log with the tombstone in force, so its row holds
            // only later events; an older model's row is what was erased.
            if (model.Manifest.TrainedUntil <= at) modelRow = -1;
        }
        bool known = modelRow >= 0;
        var history = new ShopperHistory(modelRow);
        var strength = model.Training.Interactions;
        var trainedUntil = model.Manifest.TrainedUntil;
        var seen = new HashSet<int>();
        var fresh = new List<int>();
        foreach (var e in events)
        {
            if (e.Type == EventType.Purchase) history.Purchased.Add(e.Item);
            history._itemIds.Add(e.Item);
            if (!model.ItemIndex.TryGetValue(e.Item, out int item)) continue;
            if (seen.Add(item) && history._recentItems.Count < ExplainingItems) history._recentItems.Add((item, false));
            if (known && e.Timestamp <= trainedUntil) continue;
            fresh.Add(item);
            float r = strength.Of(e, now);
            if (r > 0) history.FoldIn[item] = history.FoldIn.GetValueOrDefault(item) + r;
        }
        // What the shopper bought in the training data: excluded like any purchase, and the oldest explanations.
        if (known)
        {
            foreach (int item in model.Artifacts.PurchasesOf(modelRow))
            {
                history.Purchased.Add(model.Artifacts.ItemIds[item]);
                if (seen.Add(item) && history._recentItems.Count < ExplainingItems) history._recentItems.Add((item, true));
            }
        }
        if (model.Sequence?.Network is { } network)
        {
            fresh.Reverse();
            var trained = known ? model.Artifacts.SequenceHistoryOf(modelRow) : [];
            var items = ServerlessReco.Sequence.SequenceModel.Collapse([.. trained, .. fresh]);
            history.Sequence = items[Math.Max(0, items.Length - network.Layout.MaxLength)..];
        }
        for (int i = 0; i < history._recentItems.Count; i++)
        {
            var (index, _) = history._recentItems[i];
            history._recentItems[i] = (index, history.Bought(model, index));
        }
        return history;
    }

    /// <summary>Whether the shopper bought <paramref name="item"/>: explanations say so.</summary>
    public bool Bought(ServingModel model, int item) => Purchased.Contains(model.Artifacts.ItemIds[item]);

    /// <summary>The categories the shopper buys from (or, without purchases, browses): "new" for cross-category slots.</summary>
    public HashSet<string> Categories(ServingModel model, IServingCatalog catalog)
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
