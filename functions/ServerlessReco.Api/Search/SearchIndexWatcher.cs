using System.Diagnostics;
using ServerlessReco.Embed;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Publish;
using ServerlessReco.Search;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Search;

/// <summary>The index and the query encoder a search uses; Encoder is null when semantic retrieval is off for it.</summary>
public sealed record SearchEngine(SearchIndex Index, TextEncoder? Encoder);

/// <summary>
/// Loads the published search index (catalog/search/current.json) and the query encoder on the first search,
/// not at start: an instance that never searches never pays for them, and cold start to the first
/// recommendation stays what it was. From then on it polls like <see cref="ModelWatcher"/>: a new version is
/// loaded and verified (manifest sha256, every file's sha256) in the background and swapped in; a refused
/// version leaves the current one serving, and any change to current.json is tried afresh.
/// </summary>
public sealed class SearchIndexWatcher(DataStore store, ServeOptions serve, SearchOptions options, IHostApplicationLifetime lifetime, ILogger<SearchIndexWatcher> logger)
{
    private readonly SearchIndexStore _indexes = new(store.Blobs);
    private readonly Lock _gate = new();
    private Task? _started;
    private Task<TextEncoder?>? _encoder;
    private volatile SearchEngine? _current;
    private CurrentSearchIndex? _refused;
    private volatile string? _refusal;

    /// <summary>The index version in use; null before the first search loaded one (this never starts a load).</summary>
    public string? CurrentVersion => _current?.Index.Version;

    /// <summary>Why the newest published index (or the encoder) is not in use; null when all is well. Names no storage address.</summary>
    public string? LastLoadError => _refusal;

    /// <summary>The engine to search with; null while no index has been published.</summary>
    public async Task<SearchEngine?> CurrentAsync(CancellationToken ct)
    {
        if (_current is { } engine) return engine;
        Task started;
        lock (_gate) started = _started ??= StartAsync();
        await started.WaitAsync(ct);
        return _current;
    }

    private async Task StartAsync()
    {
        // The encoder (90 MB for all-MiniLM-L6-v2) loads beside the index download.
        _encoder = options.EncoderPath is { } directory ? Task.Run(() => LoadEncoder(directory)) : Task.FromResult<TextEncoder?>(null);
        await PollAsync(lifetime.ApplicationStopping);
        _ = FollowAsync(lifetime.ApplicationStopping);
    }

    private TextEncoder? LoadEncoder(string directory)
    {
        try
        {
            // One thread per query: concurrent requests are the parallelism.
            var encoder = TextEncoder.Load(directory, threads: 1);
            logger.LogInformation("Search query encoder loaded: {Encoder}", encoder.Identity);
            return encoder;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            _refusal = $"The query encoder in {SearchOptions.EncoderDirectoryKey} could not be loaded: search is lexical only.";
            logger.LogError(e, "Loading the query encoder failed; search is lexical only");
            return null;
        }
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(serve.ModelPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
                await PollAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        try
        {
            var published = await _indexes.ReadCurrentAsync(ct);
            if (published is null || published.Version == _current?.Index.Version || published == _refused) return;
            var started = Stopwatch.GetTimestamp();
            SearchIndex index;
            try
            {
                index = SearchIndex.Open(await _indexes.LoadAsync(published, ct));
            }
            catch (Exception e) when (e is ModelIntegrityException or ArgumentException or InvalidDataException)
            {
                _refused = published;
                _refusal = $"Refused search index version {published.Version}: {e.Message}";
                logger.LogError("Refused search index version {Version}: {Reason}. Still serving {Serving}.", published.Version, e.Message, _current?.Index.Version ?? "nothing");
                return;
            }
            var encoder = await _encoder!;
            if (encoder is not null && index.Manifest.Encoder is { } made && made != encoder.Identity)
            {
                _refusal = $"Search index version {published.Version} was embedded by {made}, {SearchOptions.EncoderDirectoryKey} holds {encoder.Identity}: search is lexical only until they match.";
                logger.LogWarning("{Reason}", _refusal);
            }
            else _refusal = null;
            bool semantic = encoder is not null && index.HasEmbeddings && index.Manifest.Encoder == encoder.Identity;
            // The previous index is not disposed: requests that took it may still be reading it, and it holds only
            // managed memory, which goes with the last of them.
            _current = new SearchEngine(index, semantic ? encoder : null);
            _refused = null;
            logger.LogInformation("Search index loaded: version {Version} ({Items} items, {Fields} language fields, semantic {Semantic}) in {Ms:F0} ms",
                index.Version, index.ItemIds.Length, index.Manifest.LanguageFields.Length, semantic, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Storage down: keep serving what is loaded and try again at the next tick.
            logger.LogWarning(e, "Polling for a new search index failed; serving {Version}", _current?.Index.Version ?? "nothing");
        }
    }
}
