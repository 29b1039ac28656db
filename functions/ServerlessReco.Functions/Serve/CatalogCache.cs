using System.Collections.Concurrent;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The catalogue as serving sees it: loaded from the items table, refreshed periodically for changes made by
/// other instances, and updated in place by this instance's own catalogue writes so stock and availability
/// changes take effect for the very next request.
/// </summary>
public sealed class CatalogCache(DataStore store, ILogger<CatalogCache> logger)
{
    private volatile ConcurrentDictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);

    public int Count => _items.Count;
    public DateTimeOffset? LoadedAt { get; private set; }

    public bool TryGet(string itemId, out CatalogItem item) => _items.TryGetValue(itemId, out item!);

    /// <summary>Applies items just written to the table by this instance.</summary>
    public void Apply(IReadOnlyList<CatalogItem> items)
    {
        var current = _items;
        foreach (var item in items) current[item.Id] = item;
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        // Writes reach the table before Apply, so a refresh that races with Apply still sees them.
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var all = new ConcurrentDictionary<string, CatalogItem>(StringComparer.Ordinal);
        await foreach (var item in store.Catalog.ReadAllAsync(ct).ConfigureAwait(false)) all[item.Id] = item;
        _items = all;
        bool first = LoadedAt is null;
        LoadedAt = DateTimeOffset.UtcNow;
        // The first load gates the first answer with items (cold start); later refreshes are routine.
        var level = first ? LogLevel.Information : LogLevel.Debug;
        logger.Log(level, "Catalogue loaded: {Count} items in {LoadMs:F0} ms, {StartMs:F0} ms after process start",
            all.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds);
    }
}
