using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The first download of the published model, started before the web host is built: it is the longest step of a
/// cold start, and building the host and starting its services (about 90 ms) can run beside it.
/// <see cref="ModelWatcher"/> takes it for its first poll and downloads by itself from then on.
/// </summary>
public sealed class ModelPrefetch
{
    /// <summary>What was current, and its artifacts (null when nothing was published).</summary>
    public sealed record Download(Task<CurrentModel?> Current, Task<ModelArtifacts?> Artifacts);

    private Download? _download;

    public ModelPrefetch(DataStore store)
    {
        // On the thread pool, so storage client set-up does not hold up the host build either.
        var current = Task.Run(() => store.Models.ReadCurrentAsync());
        _download = new Download(current, Task.Run(async () => await current is { } published ? await store.Models.LoadAsync(published) : null));
    }

    /// <summary>The prefetched download, once; null afterwards.</summary>
    public Download? Take() => Interlocked.Exchange(ref _download, null);
}
