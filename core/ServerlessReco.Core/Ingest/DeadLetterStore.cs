using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>
/// deadletter/events/yyyy/MM/dd/HHmmssfff-&lt;guid&gt;.json (time received, UTC): every rejected event or unreadable
/// payload, byte for byte, with the reasons, so nothing sent is silently dropped and a fix can replay it. Names sort
/// by time within a day, so the newest letters are found from a listing without reading every letter of the day
/// (letters written before the time prefix, named by the guid alone, sort among them by chance).
/// </summary>
public sealed class DeadLetterStore(IBlobStore blobs)
{
    public static DeadLetter Create(DateTimeOffset receivedAt, DeadLetterSource source, Dictionary<string, string[]> reasons, ReadOnlySpan<byte> raw) =>
        Utf8.IsValid(raw)
            ? new DeadLetter(receivedAt, source, reasons, Encoding.UTF8.GetString(raw), "utf-8")
            : new DeadLetter(receivedAt, source, reasons, Convert.ToBase64String(raw), "base64");

    public static string PathOf(DateTimeOffset receivedAt) =>
        DayPrefix(DateOnly.FromDateTime(receivedAt.UtcDateTime)) + $"{receivedAt.UtcDateTime:HHmmssfff}-{Guid.NewGuid():N}.json";

    /// <summary>Where the event letters received on a UTC day are.</summary>
    public static string DayPrefix(DateOnly day) => $"events/{day:yyyy'/'MM'/'dd}/";

    /// <summary>The event letters received on a UTC day, newest first (by name: see the class summary).</summary>
    public async Task<List<string>> ListDayAsync(DateOnly day, CancellationToken ct = default)
    {
        var paths = new List<string>();
        await foreach (var path in blobs.ListAsync(Containers.DeadLetter, DayPrefix(day), ct).ConfigureAwait(false)) paths.Add(path);
        paths.Sort(static (a, b) => string.CompareOrdinal(b, a));
        return paths;
    }

    /// <summary>One stored letter; null when it is gone (pruned meanwhile) or not a letter this version can read.</summary>
    public async Task<DeadLetter?> ReadAsync(string path, CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.DeadLetter, path, ct).ConfigureAwait(false);
        if (data is null) return null;
        try
        {
            return JsonSerializer.Deserialize(data.ToMemory().Span, IngestJsonContext.Default.DeadLetter);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes each letter as its own blob; returns their paths.</summary>
    public async Task<string[]> WriteAsync(IReadOnlyList<DeadLetter> letters, CancellationToken ct = default)
    {
        var paths = new string[letters.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, letters.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            paths[i] = PathOf(letters[i].ReceivedAt);
            var content = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(letters[i], IngestJsonContext.Default.DeadLetter));
            await blobs.PutAsync(Containers.DeadLetter, paths[i], content, overwrite: false, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return paths;
    }

    /// <summary>
    /// Retention: deletes the dead letters received before <paramref name="cutoff"/> (they hold the senders' raw
    /// ids), judged by the date in their path: a whole day of event letters once all of it is older, an import's
    /// letters by their timestamp. Paths without a date are kept and counted.
    /// </summary>
    public async Task<(int Deleted, int Undated)> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        var old = new List<string>();
        int undated = 0;
        await foreach (var path in blobs.ListAsync(Containers.DeadLetter, "", ct).ConfigureAwait(false))
        {
            if (ReceivedBefore(path) is not { } before) undated++;
            else if (before <= cutoff) old.Add(path);
        }
        await Parallel.ForEachAsync(old, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (path, token) =>
            await blobs.DeleteAsync(Containers.DeadLetter, path, token).ConfigureAwait(false)).ConfigureAwait(false);
        return (old.Count, undated);
    }

    /// <summary>
    /// A time by which the letter had been received: the end of its day for events/yyyy/MM/dd/..., the write time for
    /// import/&lt;source&gt;/yyyyMMddTHHmmssZ.jsonl; null for anything else.
    /// </summary>
    public static DateTimeOffset? ReceivedBefore(string path)
    {
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var parts = path.Split('/');
        if (parts is ["events", var y, var m, var d, _]
            && DateTime.TryParseExact($"{y}-{m}-{d}", "yyyy-MM-dd", CultureInfo.InvariantCulture, utc, out var day))
            return new DateTimeOffset(day.AddDays(1), TimeSpan.Zero);
        if (parts is ["import", _, var file] && file.EndsWith(".jsonl", StringComparison.Ordinal)
            && DateTime.TryParseExact(file[..^".jsonl".Length], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, utc, out var at))
            return new DateTimeOffset(at, TimeSpan.Zero);
        return null;
    }
}
