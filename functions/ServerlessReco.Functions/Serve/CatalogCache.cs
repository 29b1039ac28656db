using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The catalogue as serving sees it. Loaded from the snapshot blob at start (a table scan only when there is no
/// usable snapshot), kept current by reading the change feed for other instances' writes, and updated in place
/// by this instance's own catalogue writes so stock and availability changes take effect for the very next
/// request. The whole items table is read again only when the feed cannot cover the gap, when a poll brings
/// more changes than point reads are worth, and every <see cref="ServeOptions.CatalogReconcileInterval"/>.
/// </summary>
public sealed class CatalogCache(DataStore store, ServeOptions settings, TimeProvider time, ILogger<CatalogCache> logger) : IServingCatalog
{
    /// <summary>An item and the version (<see cref="CatalogChangeFeed.VersionKey"/>) it was read at; null for this instance's own writes.</summary>
    private readonly record struct Entry(CatalogItem Item, ulong? Version);

    private volatile ConcurrentDictionary<string, Entry> _items = new(StringComparer.Ordinal);
    // Per live model, its items' catalogue entries by model item index: the ranking loop tests candidates by index,
    // and a string-keyed lookup per candidate was a tenth of a request's CPU. A model no longer referenced drops
    // out with its array.
    private readonly ConditionalWeakTable<ServingModel, CatalogItem?[]> _byModelIndex = new();
    // Serialises writers (own writes, feed catch-up, full loads) with one another and with building an index, so
    // no write is lost between reading the dictionary and publishing an index built from it. Readers take no lock.
    private readonly Lock _writes = new();
    // Written only by the one refresh loop (UpdateAsync is never run twice at once).
    private DateTimeOffset _position;
    private DateTimeOffset _lastFullRead;

    public int Count => _items.Count;
    /// <summary>Every item, as a moment-in-time enumeration of the live dictionary (the console's catalogue view).</summary>
    public IEnumerable<CatalogItem> Items => _items.Values.Select(e => e.Item);
    /// <summary>When the catalogue was last brought up to date (snapshot, scan or feed poll); null before the first load.</summary>
    public DateTimeOffset? LoadedAt { get; private set; }
    /// <summary>Full reads of the items table since start (the snapshot does not count).</summary>
    public int FullScans { get; private set; }

    public bool TryGet(string itemId, out CatalogItem item)
    {
        bool found = _items.TryGetValue(itemId, out var entry);
        item = entry.Item;
        return found;
    }

    /// <summary>
    /// The catalogue entry of each of the model's items, by model item index (null: not in the catalogue), kept
    /// current by every later catalogue change. Built on first use per model (one dictionary lookup per item).
    /// </summary>
    public CatalogItem?[] ItemsOf(ServingModel model)
    {
        if (_byModelIndex.TryGetValue(model, out var items)) return items;
        lock (_writes) return _byModelIndex.GetValue(model, m => Resolve(m, _items, new CatalogItem?[m.ItemCount]));
    }

    private static CatalogItem?[] Resolve(ServingModel model, ConcurrentDictionary<string, Entry> entries, CatalogItem?[] items)
    {
        var ids = model.Artifacts.ItemIds;
        for (int i = 0; i < ids.Length; i++) items[i] = entries.TryGetValue(ids[i], out var entry) ? entry.Item : null;
        return items;
    }

    /// <summary>Sets (or with null removes) one entry in the dictionary and in every model's index; callers hold <see cref="_writes"/>.</summary>
    private void Set(string id, Entry? entry)
    {
        if (entry is { } e) _items[id] = e;
        else _items.TryRemove(id, out _);
        foreach (var (model, items) in _byModelIndex)
            if (model.ItemIndex.TryGetValue(id, out int index)) items[index] = entry?.Item;
    }

    /// <summary>
    /// Applies items just written to the table by this instance. Their version is unknown here, so the feed rows
    /// of these writes make the next poll read them back once; that read also repairs a poll that raced with this.
    /// </summary>
    public void Apply(IReadOnlyList<CatalogItem> items)
    {
        lock (_writes)
            foreach (var item in items) Set(item.Id, new Entry(item, null));
    }

    /// <summary>The first call loads the catalogue; later ones bring it up to date.</summary>
    public async Task UpdateAsync(CancellationToken ct)
    {
        if (LoadedAt is null) await LoadAsync(ct).ConfigureAwait(false);
        else if (time.GetUtcNow() - _lastFullRead > settings.CatalogReconcileInterval) await ScanAsync("reconciliation", ct).ConfigureAwait(false);
        else if (!CatalogChangeFeed.Covers(_position, time.GetUtcNow(), settings.CatalogFeedRetention)) await ScanAsync("the change feed no longer covers the gap since " + _position.ToString("O"), ct).ConfigureAwait(false);
        else await CatchUpAsync(ct).ConfigureAwait(false);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        var blob = await store.Blobs.GetAsync(Containers.Catalog, CatalogSnapshot.BlobPath, ct).ConfigureAwait(false);
        var read = Stopwatch.GetElapsedTime(started);
        CatalogSnapshot? snapshot = null;
        try
        {
            snapshot = blob is null ? null : CatalogSnapshot.Deserialize(blob.ToMemory().Span);
        }
        catch (InvalidDataException e)
        {
            logger.LogError("Catalogue snapshot {Container}/{Path} refused: {Reason} Reading the items table instead; the next snapshot job run replaces it.",
                Containers.Catalog, CatalogSnapshot.BlobPath, e.Message);
        }
        if (snapshot is null)
        {
            await ScanAsync("no usable snapshot", ct).ConfigureAwait(false);
            return;
        }
        if (!CatalogChangeFeed.Covers(snapshot.FeedPosition, time.GetUtcNow(), settings.CatalogFeedRetention))
        {
            await ScanAsync($"the snapshot taken at {snapshot.TakenAt:O} is older than the change feed keeps", ct).ConfigureAwait(false);
            return;
        }
        Install(snapshot.Items, snapshot.FeedPosition);
        // The first load gates the first answer with items (cold start).
        logger.LogInformation("Catalogue loaded: {Count} items from the snapshot taken at {TakenAt:O} in {LoadMs:F0} ms ({Bytes} bytes read in {ReadMs:F0} ms), {StartMs:F0} ms after process start",
            snapshot.Items.Count, snapshot.TakenAt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, blob!.ToMemory().Length, read.TotalMilliseconds,
            ProcessClock.MillisecondsSinceStart());
        await CatchUpAsync(ct).ConfigureAwait(false);
    }

    private async Task ScanAsync(string reason, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        var scan = await store.ItemTable.ScanAsync(ct).ConfigureAwait(false);
        bool first = LoadedAt is null;
        Install(scan.Items, scan.FeedPosition);
        FullScans++;
        // The first load gates the first answer with items (cold start); a later scan is worth a line too: it is the expensive path.
        logger.LogInformation("Catalogue loaded: {Count} items from the items table ({Reason}) in {LoadMs:F0} ms{After}",
            scan.Items.Count, reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            first ? $", {ProcessClock.MillisecondsSinceStart():F0} ms after process start" : "");
    }

    private void Install(IReadOnlyList<VersionedItem> items, DateTimeOffset position)
    {
        var all = new ConcurrentDictionary<string, Entry>(Environment.ProcessorCount, items.Count, StringComparer.Ordinal);
        foreach (var (item, version) in items) all[item.Id] = new Entry(item, version);
        lock (_writes)
        {
            _items = all;
            foreach (var (model, byIndex) in _byModelIndex) Resolve(model, all, byIndex);
        }
        _position = position;
        _lastFullRead = time.GetUtcNow();
        LoadedAt = _lastFullRead;
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        var batch = await store.ItemTable.Changes.ReadSinceAsync(_position, ct).ConfigureAwait(false);
        var current = _items;
        // Rows of versions already held (read again because positions overlap, or the write that made the snapshot) cost nothing.
        var stale = batch.Changes
            .Where(change => !(current.TryGetValue(change.Id, out var held) && held.Version == CatalogChangeFeed.VersionKey(change.Version)))
            .Select(change => change.Id)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // A point read costs several times what one row of a scan costs: past this many, reading everything is cheaper.
        if (stale.Count > Math.Max(500, current.Count / 20))
        {
            await ScanAsync($"{stale.Count} changed items in the change feed", ct).ConfigureAwait(false);
            return;
        }
        await Parallel.ForEachAsync(stale, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (id, token) =>
        {
            var read = await store.ItemTable.GetVersionedAsync(id, token).ConfigureAwait(false);
            lock (_writes) Set(id, read is { } found ? new Entry(found.Item, found.Version) : null);
        }).ConfigureAwait(false);
        _position = batch.NextPosition;
        LoadedAt = time.GetUtcNow();
        if (stale.Count > 0)
            logger.LogDebug("Catalogue change feed: {Count} items read again, position {Position:O}", stale.Count, _position);
    }
}
