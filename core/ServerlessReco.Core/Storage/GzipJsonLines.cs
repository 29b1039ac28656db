using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ServerlessReco.Storage;

/// <summary>Gzip'd JSON lines, one value a line: the format of the event log and of the impression log.</summary>
internal static class GzipJsonLines
{
    /// <summary>
    /// The lines are written out whole, then compressed in one pass: a flush per line into the gzip stream cost more
    /// than the serialization (75,000 impressions: 90-230 ms of CPU against 13 ms).
    /// </summary>
    public static BinaryData Write<T>(IEnumerable<T> values, JsonTypeInfo<T> type)
    {
        var lines = new MemoryStream();
        using (var writer = new Utf8JsonWriter(lines))
        {
            foreach (var value in values)
            {
                JsonSerializer.Serialize(writer, value, type);
                writer.Flush();
                writer.Reset();
                lines.WriteByte((byte)'\n');
            }
        }
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(lines.GetBuffer().AsSpan(0, (int)lines.Length));
        return new BinaryData(compressed.GetBuffer().AsMemory(0, (int)compressed.Length));
    }

    public static List<T> Read<T>(BinaryData data, JsonTypeInfo<T> type)
    {
        using var gzip = new GZipStream(data.ToStream(), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        var rest = plain.GetBuffer().AsSpan(0, (int)plain.Length);
        var result = new List<T>();
        while (rest.Length > 0)
        {
            int end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            if (line.Length > 0 && JsonSerializer.Deserialize(line, type) is { } value) result.Add(value);
        }
        return result;
    }
}
