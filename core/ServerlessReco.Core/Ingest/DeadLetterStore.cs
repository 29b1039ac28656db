using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>
/// deadletter/events/yyyy/MM/dd/&lt;guid&gt;.json (date received, UTC): every rejected event or unreadable
/// payload, byte for byte, with the reasons, so nothing sent is silently dropped and a fix can replay it.
/// </summary>
public sealed class DeadLetterStore(IBlobStore blobs)
{
    public static DeadLetter Create(DateTimeOffset receivedAt, DeadLetterSource source, Dictionary<string, string[]> reasons, ReadOnlySpan<byte> raw) =>
        Utf8.IsValid(raw)
            ? new DeadLetter(receivedAt, source, reasons, Encoding.UTF8.GetString(raw), "utf-8")
            : new DeadLetter(receivedAt, source, reasons, Convert.ToBase64String(raw), "base64");

    public static string PathOf(DateTimeOffset receivedAt) =>
        $"events/{receivedAt.UtcDateTime:yyyy'/'MM'/'dd}/{Guid.NewGuid():N}.json";

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
}
