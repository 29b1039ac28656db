using System.Globalization;
using System.Text.Json.Serialization;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Feedback;

/// <summary>Which model version answered: the published one, or the challenger of a running experiment.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Arm>))]
public enum Arm
{
    [JsonStringEnumMemberName("control")] Control,
    [JsonStringEnumMemberName("challenger")] Challenger,
}

public static class Arms
{
    /// <summary>The wire name, without a serializer: metrics and spans tag answers with it.</summary>
    public static string Name(Arm arm) => arm == Arm.Challenger ? "challenger" : "control";
}

/// <summary>
/// One item shown in one answer. No shopper id: attribution needs only the answer's id and the item, so the
/// impression log holds nothing personal and needs no erasure.
/// </summary>
/// <param name="Position">0-based rank in the answer.</param>
/// <param name="Experiment">The experiment running when it was shown; null when none was.</param>
public sealed record Impression(
    string RecommendationId, string Item, int Position, Strategy Strategy, string ModelVersion, Arm Arm,
    string? Experiment, string Market, DateTimeOffset Time);

/// <summary>
/// One answer's impressions: the items shown under one recommendation id, in order. The unit serving queues and the
/// log stores (what the answer shared is written once, not once per item); readers get <see cref="Impression"/>s.
/// </summary>
public sealed record ShownItems(
    string RecommendationId, string[] Items, Strategy Strategy, string ModelVersion, Arm Arm,
    string? Experiment, string Market, DateTimeOffset Time)
{
    public IEnumerable<Impression> Impressions()
    {
        for (int position = 0; position < Items.Length; position++)
            yield return new Impression(RecommendationId, Items[position], position, Strategy, ModelVersion, Arm, Experiment, Market, Time);
    }
}

/// <summary>
/// Recommendation ids: 32 lower-case hex digits (a random 128-bit value), so that an event's id can be checked
/// for form at ingestion without any lookup.
/// </summary>
public static class RecommendationIds
{
    public const int Length = 32;

    public static string New() => Guid.NewGuid().ToString("N");

    public static bool IsWellFormed(string? id) => id is { Length: Length } && id.All(char.IsAsciiHexDigitLower);
}

/// <summary>
/// impressions/yyyy/MM/dd/HH/&lt;instance&gt;-&lt;sequence&gt;.jsonl.gz: one gzip'd JSON-lines file (a <see cref="ShownItems"/>
/// a line) per flush of one serving instance, under the hour of its first answer. Files are written once and never
/// appended, so two instances never contend and a listing by date range is a prefix walk.
/// </summary>
public sealed class ImpressionLog(IBlobStore blobs)
{
    public async Task<string> WriteAsync(string instance, long sequence, IReadOnlyList<ShownItems> batch, CancellationToken ct = default)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"{batch[0].Time.UtcDateTime:yyyy'/'MM'/'dd'/'HH}/{instance}-{sequence:D8}.jsonl.gz");
        // overwrite: a restarted instance gets a new instance id, so an existing name can only be this flush retried.
        await blobs.PutAsync(Containers.Impressions, path, GzipJsonLines.Write(batch, FeedbackJsonContext.Default.ShownItems), overwrite: true, ct).ConfigureAwait(false);
        return path;
    }

    /// <summary>Every impression shown at or after <paramref name="since"/> (whole hours: the file's hour decides).</summary>
    public async Task<List<Impression>> ReadAsync(DateTimeOffset? since, CancellationToken ct = default)
    {
        var result = new List<Impression>();
        var from = since?.UtcDateTime is { } s ? new DateTime(s.Year, s.Month, s.Day, s.Hour, 0, 0, DateTimeKind.Utc) : DateTime.MinValue;
        await foreach (var path in blobs.ListAsync(Containers.Impressions, "", ct).ConfigureAwait(false))
        {
            if (!path.EndsWith(".jsonl.gz", StringComparison.Ordinal) || path.Length < 13) continue;
            if (!DateTime.TryParseExact(path[..13], "yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var hour) || hour < from)
                continue;
            if (await blobs.GetAsync(Containers.Impressions, path, ct).ConfigureAwait(false) is not { } data) continue;
            foreach (var shown in GzipJsonLines.Read(data, FeedbackJsonContext.Default.ShownItems))
                if (since is null || shown.Time >= since) result.AddRange(shown.Impressions());
        }
        return result;
    }
}
