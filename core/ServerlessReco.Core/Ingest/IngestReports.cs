using System.Text.Json.Serialization;

namespace ServerlessReco.Ingest;

[JsonConverter(typeof(JsonStringEnumConverter<EventStatus>))]
public enum EventStatus
{
    [JsonStringEnumMemberName("accepted")] Accepted,
    /// <summary>Already ingested: earlier in the same request, or by an earlier delivery (its events-table row exists).</summary>
    [JsonStringEnumMemberName("duplicate")] Duplicate,
    [JsonStringEnumMemberName("rejected")] Rejected,
}

/// <param name="Warnings">Fields that were set aside while the event itself was accepted (an unusable recommendationId).</param>
public sealed record EventResult(int Index, string? EventId, EventStatus Status, Dictionary<string, string[]>? Errors = null, Dictionary<string, string[]>? Warnings = null);

public sealed record IngestCounts(int Accepted, int Duplicates, int Rejected);

public sealed record IngestReport(int Accepted, int Duplicates, int Rejected, EventResult[] Results)
{
    [JsonIgnore]
    public IngestCounts Counts => new(Accepted, Duplicates, Rejected);
}

[JsonConverter(typeof(JsonStringEnumConverter<ItemStatus>))]
public enum ItemStatus
{
    [JsonStringEnumMemberName("upserted")] Upserted,
    [JsonStringEnumMemberName("rejected")] Rejected,
}

public sealed record ItemResult(int Index, string? Id, ItemStatus Status, Dictionary<string, string[]>? Errors = null);

public sealed record ItemUpsertReport(int Upserted, int Rejected, ItemResult[] Results);

/// <summary>What an erasure removed (the events-table rows) and what the tombstone does from now on.</summary>
public sealed record ErasureReport(
    string UserPseudonym, DateTimeOffset ErasedAt, int EventsTableRowsDeleted, bool TombstoneRecorded,
    string Serving, string NextTraining, string LaterEvents);

/// <summary>Where a dead letter came from: "http", or "eventhub" with the partition and the event's sequence number.</summary>
public sealed record DeadLetterSource(string Kind, int? Index = null, string? Partition = null, long? SequenceNumber = null, DateTimeOffset? EnqueuedAt = null);

/// <summary>
/// A rejected event or payload as stored in deadletter/: the input byte for byte (<see cref="Raw"/> is the UTF-8
/// text, or base64 when <see cref="RawEncoding"/> says so because the bytes were not UTF-8) and the reasons.
/// </summary>
public sealed record DeadLetter(DateTimeOffset ReceivedAt, DeadLetterSource Source, Dictionary<string, string[]> Reasons, string Raw, string RawEncoding);
