namespace ServerlessReco.Translate;

/// <summary>
/// Translates through a <see cref="TranslationCache"/>: only (text, language) pairs missing from the cache reach the
/// service, each distinct text once, and every new translation is stored before returning.
/// </summary>
public sealed class CachedTranslator
{
    private readonly TranslatorClient _client;
    private readonly TranslationCache _cache;
    private long _hits;
    private long _misses;

    public CachedTranslator(TranslatorClient client, TranslationCache cache)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cache);
        _client = client;
        _cache = cache;
    }

    /// <summary>(distinct text, target language) pairs answered from the cache since construction.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>(distinct text, target language) pairs sent to the service since construction.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>
    /// For each input text, its translations keyed by target language (as given in <paramref name="to"/>).
    /// With <paramref name="from"/> null the service detects the language and rows are keyed under
    /// <see cref="TranslationCache.AutoDetectSource"/>.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> TranslateAsync(
        IReadOnlyList<string> texts, IReadOnlyList<string> to, string? from = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(to);
        var source = from ?? TranslationCache.AutoDetectSource;
        var distinct = texts.Distinct(StringComparer.Ordinal).ToList();
        var languages = to.Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        // translated[text][language]
        var translated = distinct.ToDictionary(t => t, _ => new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);
        var missingByText = distinct.ToDictionary(t => t, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var language in languages)
        {
            var cached = await _cache.GetManyAsync(language, source, distinct, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < distinct.Count; i++)
            {
                if (cached[i] is { } hit)
                {
                    translated[distinct[i]][language] = hit;
                    Interlocked.Increment(ref _hits);
                }
                else
                {
                    missingByText[distinct[i]].Add(language);
                    Interlocked.Increment(ref _misses);
                }
            }
        }

        // Texts missing the same set of languages share requests; the service bills per character per target,
        // so this costs the same characters as per-language calls in fewer round trips.
        var groups = missingByText
            .Where(pair => pair.Value.Count > 0)
            .GroupBy(pair => string.Join('\n', pair.Value), StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var groupTexts = group.Select(pair => pair.Key).ToList();
            var groupLanguages = group.First().Value;
            var results = await _client.TranslateAsync(groupTexts, groupLanguages, from, cancellationToken).ConfigureAwait(false);
            foreach (var language in groupLanguages)
            {
                var stored = new List<string>(groupTexts.Count);
                var storedTexts = new List<string>(groupTexts.Count);
                for (var i = 0; i < groupTexts.Count; i++)
                {
                    if (!results[i].Translations.TryGetValue(language, out var text))
                        throw new InvalidOperationException($"Translator returned no '{language}' translation for text {i} of the batch.");
                    translated[groupTexts[i]][language] = text;
                    storedTexts.Add(groupTexts[i]);
                    stored.Add(text);
                }
                await _cache.SetManyAsync(language, source, storedTexts, stored, cancellationToken).ConfigureAwait(false);
            }
        }

        return texts.Select(t => (IReadOnlyDictionary<string, string>)translated[t]).ToList();
    }
}
