using System.Globalization;
using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Train;

namespace ServerlessReco.Sequence;

/// <summary>Turns the event log into item sequences and adds a trained sequence network to a model version.</summary>
public static class SequenceModel
{
    /// <summary>
    /// Each shopper's items in time order (ties keep the log's order), as indices into <paramref name="itemIndex"/>;
    /// the same item twice in a row is one step. Anonymous events and unknown items are left out.
    /// </summary>
    public static List<(string User, int[] Items)> Sequences(IEnumerable<InteractionEvent> events, IReadOnlyDictionary<string, int> itemIndex)
    {
        var byShopper = new Dictionary<string, List<(DateTimeOffset Time, int Item)>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.User.Length == 0 || !itemIndex.TryGetValue(e.Item, out int item)) continue;
            if (!byShopper.TryGetValue(e.User, out var list)) byShopper[e.User] = list = [];
            list.Add((e.Timestamp, item));
        }
        var sequences = new List<(string, int[])>(byShopper.Count);
        foreach (var user in byShopper.Keys.Order(StringComparer.Ordinal))
            sequences.Add((user, Collapse(byShopper[user].OrderBy(p => p.Time).Select(p => p.Item))));
        return sequences;
    }

    /// <summary>Drops an item that repeats the one before it.</summary>
    public static int[] Collapse(IEnumerable<int> items)
    {
        var result = new List<int>();
        foreach (int item in items)
            if (result.Count == 0 || result[^1] != item) result.Add(item);
        return [.. result];
    }

    /// <summary>The version with the network trained on <paramref name="events"/> (the same events the ALS part saw).</summary>
    public static ModelArtifacts Add(ModelArtifacts model, IEnumerable<InteractionEvent> events, SequenceOptions options,
        Action<SequenceEpochReport>? epochDone = null, CancellationToken ct = default)
    {
        var sequences = Sequences(events, IdIndex.Of(model.ItemIds));
        var result = SequenceTrainer.Train([.. sequences.Select(s => s.Items)], model.ItemCount, options, epochDone, ct, StoredCategories(model));
        // Each model shopper's newest MaxLength items: what serving reads before the events that came after training.
        var byUser = sequences.ToDictionary(s => s.User, s => s.Items, StringComparer.Ordinal);
        var pointers = new int[model.UserCount + 1];
        var history = new List<int>();
        for (int u = 0; u < model.UserCount; u++)
        {
            if (byUser.TryGetValue(model.UserIds[u], out var items)) history.AddRange(items.AsSpan(Math.Max(0, items.Length - options.MaxLength)));
            pointers[u + 1] = history.Count;
        }
        var metrics = new Dictionary<string, double>(model.Manifest.Metrics)
        {
            ["sequence.validationNdcg10"] = result.Best.ValidationNdcg,
            ["sequence.bestEpoch"] = result.Best.Epoch,
            ["sequence.epochs"] = result.Epochs.Count,
            ["sequence.secondsPerEpoch"] = result.Epochs.Average(e => e.Seconds),
        };
        var counts = new Dictionary<string, long>(model.Manifest.Counts)
        {
            ["sequence.examples"] = result.Examples,
            ["sequence.validationShoppers"] = result.ValidationShoppers,
        };
        return new ModelArtifacts
        {
            Manifest = model.Manifest with { Training = model.Manifest.Training with { Sequence = options }, Metrics = metrics, Counts = counts },
            UserIds = model.UserIds,
            ItemIds = model.ItemIds,
            UserFactors = model.UserFactors,
            ItemFactors = model.ItemFactors,
            PopularityMarkets = model.PopularityMarkets,
            Popularity = model.Popularity,
            ItemCategories = model.ItemCategories,
            PurchasePointers = model.PurchasePointers,
            PurchaseItems = model.PurchaseItems,
            ItemEmbeddings = model.ItemEmbeddings,
            EmbeddingDimension = model.EmbeddingDimension,
            SequenceWeights = result.Weights,
            SequenceHistoryPointers = pointers,
            SequenceHistoryItems = [.. history],
        };
    }

    /// <summary>
    /// The item categories as the version stores them (item_categories.txt, blank when unknown): what training,
    /// loading and serving all number the category table by.
    /// </summary>
    public static IReadOnlyList<string?> StoredCategories(ModelArtifacts model) =>
        model.ItemCategories.Length == model.ItemCount ? model.ItemCategories : new string[model.ItemCount];

    public static string Describe(SequenceEpochReport r) => string.Create(CultureInfo.InvariantCulture,
        $"sequence epoch {r.Epoch}: {r.Seconds:F1} s, loss {r.Loss:F4}, validation NDCG@10 {r.ValidationNdcg:F4}{(r.Best ? " (best)" : "")}");
}
