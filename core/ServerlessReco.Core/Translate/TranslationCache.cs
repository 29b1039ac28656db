using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Storage;

namespace ServerlessReco.Translate;

/// <summary>
/// Translations stored in an Azure Table (conventionally <see cref="DefaultTableName"/>): one partition per target
/// language, one row per (source language, text) identified by a SHA-256 hash so no catalog text ends up in a key.
/// </summary>
public sealed partial class TranslationCache
{
    public const string DefaultTableName = "translations";

    /// <summary>Source "language" used in keys when the service detected the language itself.</summary>
    public const string AutoDetectSource = "auto";

    // Table transactions allow 100 operations and 4 MiB; the byte budget leaves room for the OData envelope.
    private const int MaxTransactionOperations = 100;
    private const long MaxTransactionTextBytes = 3L * 1024 * 1024;

    // A string property holds at most 64 KiB of UTF-16, i.e. 32 Ki characters; longer translations are not cached.
    private const int MaxCachedTextLength = 32 * 1024;

    private const int ReadConcurrency = 8;

    private readonly TableClient _table;
    private EnsureOnce? _created;

    public TranslationCache(TableClient table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
    }

    // Created on first use, like the other tables, so a fresh storage account needs no set-up step.
    private Task EnsureTableAsync(CancellationToken ct) => (_created ??= TableSetup.CreateOnce(_table)).EnsureAsync(ct);

    /// <summary>Cached translations into <paramref name="to"/>, null for each text not cached yet, in input order.</summary>
    public async Task<IReadOnlyList<string?>> GetManyAsync(string to, string from, IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var partitionKey = PartitionKeyFor(to);
        var rowKeys = new string[texts.Count];
        for (var i = 0; i < texts.Count; i++)
            rowKeys[i] = RowKeyFor(from, texts[i]);

        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        // Point reads: a filter over many RowKeys hits the service's per-query comparison limit.
        try
        {
            await Parallel.ForEachAsync(
                rowKeys.Distinct(StringComparer.Ordinal),
                new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = cancellationToken },
                async (rowKey, ct) =>
                {
                    var entity = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, ["Text"], ct).ConfigureAwait(false);
                    if (entity.HasValue && entity.Value?.GetString("Text") is { } text)
                    {
                        lock (found)
                            found[rowKey] = text;
                    }
                }).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            // Nothing was ever cached: every text is a miss.
        }

        var results = new string?[texts.Count];
        for (var i = 0; i < texts.Count; i++)
            results[i] = found.GetValueOrDefault(rowKeys[i]);
        return results;
    }

    /// <summary>Stores <paramref name="translations"/>[i] as the translation of <paramref name="texts"/>[i] into <paramref name="to"/>.</summary>
    public async Task SetManyAsync(string to, string from, IReadOnlyList<string> texts, IReadOnlyList<string> translations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(translations);
        if (texts.Count != translations.Count)
            throw new ArgumentException($"Got {texts.Count} texts but {translations.Count} translations.", nameof(translations));
        var partitionKey = PartitionKeyFor(to);
        var source = NormalizeSource(from);
        var createdAt = DateTimeOffset.UtcNow;
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);

        var batch = new List<TableTransactionAction>(MaxTransactionOperations);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long batchBytes = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var translation = translations[i];
            ArgumentNullException.ThrowIfNull(translation, nameof(translations));
            var rowKey = RowKeyFor(source, texts[i]);
            // A transaction rejects two operations on one row, and duplicates carry nothing new anyway.
            if (translation.Length > MaxCachedTextLength || !seen.Add(rowKey))
                continue;

            long bytes = translation.Length * 2L;
            if (batch.Count == MaxTransactionOperations || (batch.Count > 0 && batchBytes + bytes > MaxTransactionTextBytes))
            {
                await _table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
                batch = new List<TableTransactionAction>(MaxTransactionOperations);
                batchBytes = 0;
            }
            var entity = new TableEntity(partitionKey, rowKey)
            {
                ["Text"] = translation,
                ["SourceLanguage"] = source,
                ["SourceHash"] = Sha256Hex(texts[i]),
                ["CreatedAt"] = createdAt,
            };
            batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            batchBytes += bytes;
        }
        if (batch.Count > 0)
            await _table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lower-cased target language; rejects anything that is not a BCP 47-like tag so it is always a valid, stable PartitionKey.</summary>
    internal static string PartitionKeyFor(string language)
    {
        ArgumentNullException.ThrowIfNull(language);
        var key = language.Trim().ToLowerInvariant();
        if (!LanguageTag().IsMatch(key))
            throw new ArgumentException($"'{language}' is not a language tag such as 'de', 'pt-br' or 'zh-hans'.", nameof(language));
        return key;
    }

    /// <summary>Hex SHA-256 of "source\ntext": fixed length, only [0-9a-f], so any text is a legal RowKey and never readable from it.</summary>
    internal static string RowKeyFor(string from, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Sha256Hex(NormalizeSource(from) + "\n" + text);
    }

    private static string NormalizeSource(string from)
    {
        ArgumentNullException.ThrowIfNull(from);
        var source = from.Trim().ToLowerInvariant();
        // Same tag rules as the target, so "EN" and "en" share rows.
        return source == AutoDetectSource ? source : PartitionKeyFor(source);
    }

    private static string Sha256Hex(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    [GeneratedRegex("^[a-z]{2,3}(-[a-z0-9]{2,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();
}
