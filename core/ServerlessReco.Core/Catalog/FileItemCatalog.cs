using System.Runtime.CompilerServices;
using System.Text.Json;
using ServerlessReco.Domain;

namespace ServerlessReco.Catalog;

/// <summary>The catalogue as one JSON-lines file (items.jsonl) for jobs run on a directory store.</summary>
public sealed class FileItemCatalog(string path) : IItemCatalog
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task UpsertAsync(IReadOnlyList<CatalogItem> items, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var all = await LoadAsync(ct).ConfigureAwait(false);
            foreach (var item in items) all[item.Id] = item;
            await SaveAsync(all, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<CatalogItem?> UpdateAsync(string id, Func<CatalogItem, CatalogItem> change, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var all = await LoadAsync(ct).ConfigureAwait(false);
            if (!all.TryGetValue(id, out var item)) return null;
            var updated = change(item) with { Id = id };
            all[id] = updated;
            await SaveAsync(all, ct).ConfigureAwait(false);
            return updated;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SaveAsync(Dictionary<string, CatalogItem> all, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        await using (var stream = File.Create(temp))
        {
            foreach (var item in all.Values)
            {
                await JsonSerializer.SerializeAsync(stream, item, DomainJsonContext.Default.CatalogItem, ct).ConfigureAwait(false);
                stream.WriteByte((byte)'\n');
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    public async Task<CatalogItem?> GetAsync(string id, CancellationToken ct = default) =>
        (await LoadAsync(ct).ConfigureAwait(false)).GetValueOrDefault(id);

    public async IAsyncEnumerable<CatalogItem> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var item in (await LoadAsync(ct).ConfigureAwait(false)).Values)
            yield return item;
    }

    private async Task<Dictionary<string, CatalogItem>> LoadAsync(CancellationToken ct)
    {
        var all = new Dictionary<string, CatalogItem>(StringComparer.Ordinal);
        if (!File.Exists(path)) return all;
        foreach (var line in await File.ReadAllLinesAsync(path, ct).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            var item = JsonSerializer.Deserialize(line, DomainJsonContext.Default.CatalogItem)!;
            all[item.Id] = item;
        }
        return all;
    }
}
