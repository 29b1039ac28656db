using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    /// leaving out users with a tombstone.
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
                if (erased.Contains(e.User)) continue;
                if (seen.Add(e.EventId)) result.Add(e);
            }
        }
        return result;
    }

    /// <summary>Records that a user's data was erased: training from now on leaves their events out.</summary>
    public Task RecordTombstoneAsync(string userPseudonym, DateTimeOffset erasedAt, CancellationToken ct = default) =>
        blobs.PutAsync(Containers.Tombstones, userPseudonym, BinaryData.FromString(erasedAt.ToString("O")), overwrite: true, ct);

    public async Task<HashSet<string>> ReadTombstonesAsync(CancellationToken ct = default)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var name in blobs.ListAsync(Containers.Tombstones, "", ct).ConfigureAwait(false))
            set.Add(name);
        return set;
    }

    private static DateTime? DateOfPath(string path) =>
        path.Length >= 10 && DateTime.TryParseExact(path[..10], "yyyy'/'MM'/'dd", null, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

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

    internal static BinaryData Serialize(IEnumerable<InteractionEvent> events)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new Utf8JsonWriter(gzip))
        {
            foreach (var e in events)
            {
                JsonSerializer.Serialize(writer, e, DomainJsonContext.Default.InteractionEvent);
                writer.Flush();
                writer.Reset();
                gzip.WriteByte((byte)'\n');
            }
        }
        return new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    internal static List<InteractionEvent> Deserialize(BinaryData data)
    {
        using var gzip = new GZipStream(data.ToStream(), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        var span = plain.GetBuffer().AsSpan(0, (int)plain.Length);
        var result = new List<InteractionEvent>();
        while (span.Length > 0)
        {
            int end = span.IndexOf((byte)'\n');
            var line = end < 0 ? span : span[..end];
            if (line.Length > 0)
                result.Add(JsonSerializer.Deserialize(line, DomainJsonContext.Default.InteractionEvent)!);
            span = end < 0 ? default : span[(end + 1)..];
        }
        return result;
    }
}
