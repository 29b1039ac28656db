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
    private Task<CurrentModel?>? _current;
    private Task<ModelArtifacts?>? _artifacts;

    public ModelPrefetch(DataStore store)
    {
        // On the thread pool, so storage client set-up does not hold up the host build either.
        var current = Task.Run(() => store.Models.ReadCurrentAsync());
        _current = current;
        _artifacts = Task.Run(async () => await current is { } published ? await store.Models.LoadAsync(published.Version) : null);
    }

    /// <summary>What the prefetch found as current (once; null afterwards or when nothing was prefetched).</summary>
    public Task<CurrentModel?>? TakeCurrent() => Interlocked.Exchange(ref _current, null);

    /// <summary>The prefetched artifacts (once), which belong to the version <see cref="TakeCurrent"/> returned.</summary>
    public Task<ModelArtifacts?>? TakeArtifacts() => Interlocked.Exchange(ref _artifacts, null);
}
