using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.EventLog;

/// <summary>
/// The training log: accepted events as gzip'd JSON-lines batch files under events/yyyy/MM/dd/ (event date, UTC).
/// A batch's file name is a hash of its event ids, so a redelivered batch rewrites the same file; events that
/// reach the log twice in different batches are counted once by <see cref="ReadDistinctAsync"/>.
/// </summary>
public sealed class EventLogStore(IBlobStore blobs)
{
    /// <summary>Writes one file per event date (UTC), the files concurrently; returns their paths.</summary>
    public async Task<IReadOnlyList<string>> AppendAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        var files = events.GroupBy(e => e.Timestamp.UtcDateTime.Date)
            .Select(day => { var batch = day.ToList(); return (Path: $"{day.Key:yyyy'/'MM'/'dd}/{BatchName(batch)}.jsonl.gz", Batch: batch); })
            .ToList();
        await Task.WhenAll(files.Select(f => blobs.PutAsync(Containers.Events, f.Path, Serialize(f.Batch), overwrite: true, ct))).ConfigureAwait(false);
        return files.Select(f => f.Path).ToList();
    }

    /// <summary>
    /// Every event once per event id (first seen wins), optionally only those at or before <paramref name="until"/>,
    /// leaving out every event a tombstone covers: one of an erased user that occurred at or before the erasure.
    /// </summary>
    public async Task<List<InteractionEvent>> ReadDistinctAsync(DateTimeOffset? until = null, IProgress<int>? filesRead = null, CancellationToken ct = default)
    {
        var paths = new List<string>();
        await foreach (var path in blobs.ListAsync(Containers.Events, "", ct).ConfigureAwait(false))
        {
            if (!path.EndsWith(".jsonl.gz", StringComparison.Ordinal)) continue;
            if (until is { } u && DateOfPath(path) is { } d && d > u.UtcDateTime.Date) continue;
            paths.Add(path);
        }

        var perFile = new List<InteractionEvent>[paths.Count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            var data = await blobs.GetAsync(Containers.Events, paths[i], token).ConfigureAwait(false);
            perFile[i] = data is null ? [] : Deserialize(data);
            filesRead?.Report(Interlocked.Increment(ref done));
        }).ConfigureAwait(false);

        var erased = await ReadTombstonesAsync(ct).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<InteractionEvent>();
        foreach (var file in perFile)
        {
            foreach (var e in file)
            {
                if (until is { } u && e.Timestamp > u) continue;
                if (IsErased(erased, e)) continue;
                if (seen.Add(e.EventId)) result.Add(e);
            }
        }
        return result;
    }

    /// <summary>
    /// Records that a user's data was erased at <paramref name="erasedAt"/>: every event of theirs that occurred
    /// until then is out of training and serving from now on; later events are new data. The time is in the name,
    /// so one listing tells serving every erasure without reading a file each.
    /// </summary>
    public Task RecordTombstoneAsync(string userPseudonym, DateTimeOffset erasedAt, CancellationToken ct = default) =>
        blobs.PutAsync(Containers.Tombstones, $"{userPseudonym}/{erasedAt.UtcDateTime.ToString(TombstoneTime, CultureInfo.InvariantCulture)}", BinaryData.Empty, overwrite: true, ct);

    /// <summary>Erased users (pseudonyms) and their latest erasure: a shopper erased twice is covered until the second.</summary>
    public async Task<Dictionary<string, DateTimeOffset>> ReadTombstonesAsync(CancellationToken ct = default)
    {
        var erased = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var name in blobs.ListAsync(Containers.Tombstones, "", ct).ConfigureAwait(false))
        {
            int slash = name.IndexOf('/');
            // A tombstone written before erasures carried a time is named by the user alone: it covers every event, as it did then.
            var (user, erasedAt) = slash < 0 ? (name, DateTimeOffset.MaxValue)
                : DateTime.TryParseExact(name.AsSpan(slash + 1), TombstoneTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                    ? (name[..slash], new DateTimeOffset(at, TimeSpan.Zero))
                    : throw new InvalidDataException($"Tombstone '{name}' is not <pseudonym>/{TombstoneTime}.");
            if (!erased.TryGetValue(user, out var earlier) || earlier < erasedAt) erased[user] = erasedAt;
        }
        return erased;
    }

    public static bool IsErased(IReadOnlyDictionary<string, DateTimeOffset> erased, InteractionEvent e) =>
        erased.TryGetValue(e.User, out var erasedAt) && Covers(erasedAt, e);

    /// <summary>
    /// The one rule, shared by training and serving: an erasure covers the user's events that occurred up to it,
    /// whenever they arrive; events that occur later are new data.
    /// </summary>
    public static bool Covers(DateTimeOffset erasedAt, InteractionEvent e) => e.Timestamp <= erasedAt;

    private const string TombstoneTime = "yyyyMMdd'T'HHmmss'.'fffffff'Z'";

    private static DateTime? DateOfPath(string path) =>
        path.Length >= 10 && DateTime.TryParseExact(path[..10], "yyyy'/'MM'/'dd", null, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

    private static string BatchName(List<InteractionEvent> batch)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in batch)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(e.EventId));
            hash.AppendData([0]);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 12));
    }

    internal static BinaryData Serialize(IEnumerable<InteractionEvent> events) => GzipJsonLines.Write(events, DomainJsonContext.Default.InteractionEvent);

    internal static List<InteractionEvent> Deserialize(BinaryData data) => GzipJsonLines.Read(data, DomainJsonContext.Default.InteractionEvent);
}
