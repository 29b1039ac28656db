using Microsoft.Extensions.Options;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Storage;
using ServerlessReco.Translate;

namespace ServerlessReco.Functions.Translate;

/// <summary>
/// The Translator client and the translations table, built once from <see cref="TranslatorOptions"/>. Without a
/// key, translation is disabled and <see cref="DisabledReason"/> says why; nothing else in the app depends on it.
/// </summary>
public sealed class TranslationService
{
    private readonly TranslatorClient? _client;
    private readonly TranslationCache? _cache;

    /// <param name="clientOptions">From DI when registered (tests route the client to a fake server); defaults otherwise.</param>
    public TranslationService(IOptions<TranslatorOptions> options, DataStore store, TranslatorClientOptions? clientOptions = null)
    {
        var settings = options.Value.Settings(out var reason);
        DisabledReason = reason;
        if (settings is null) return;
        _client = settings.CreateClient(clientOptions);
        _cache = new TranslationCache(store.Table(TranslationCache.DefaultTableName));
    }

    /// <summary>Null when translation is configured.</summary>
    public string? DisabledReason { get; }

    /// <summary>
    /// A translator whose hit and miss counts start at zero, so each request or run reports its own; null when
    /// translation is disabled. Client and cache are shared, so this costs two small objects.
    /// </summary>
    public CachedTranslator? CreateTranslator() =>
        _client is null || _cache is null ? null : new CachedTranslator(_client, _cache);
}
