using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Ingest;

/// <summary>
/// The Functions host's invocation request for the IngestEvents trigger:
/// {"Data": {"events": ...}, "Metadata": {"TriggerPartitionContext": ..., "SequenceNumberArray": ..., "EnqueuedTimeUtcArray": ...}}.
/// The host encodes values with Json.NET, which sends arrays (and sometimes objects) as strings holding JSON, so
/// every value is accepted either as JSON or as a string of JSON.
/// </summary>
public sealed record EventHubBatch(List<IncomingEvent> Events, string? Partition)
{
    /// <summary>The binding name in IngestEvents/function.json.</summary>
    public const string BindingName = "events";

    /// <exception cref="InvocationFormatException">The payload is not an invocation request holding events.</exception>
    public static EventHubBatch Parse(ReadOnlyMemory<byte> body)
    {
        var documents = new List<JsonDocument>();
        try
        {
            JsonElement root;
            try
            {
                documents.Add(JsonDocument.Parse(body));
                root = documents[0].RootElement;
            }
            catch (JsonException e)
            {
                throw new InvocationFormatException("$", "The invocation request is not JSON: " + e.Message);
            }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Data", out var data))
                throw new InvocationFormatException("Data", "The invocation request has no Data object.");
            data = Unwrap(data, "Data", documents);
            if (data.ValueKind != JsonValueKind.Object)
                throw new InvocationFormatException("Data", "Data is not an object.");
            if (!data.TryGetProperty(BindingName, out var value))
            {
                // Defensive: a renamed binding still works as long as it is the only one.
                var properties = data.EnumerateObject().ToList();
                if (properties.Count != 1) throw new InvocationFormatException("Data", $"Data has no '{BindingName}' binding.");
                value = properties[0].Value;
            }

            var bodies = EventBodies(value);
            var metadata = root.TryGetProperty("Metadata", out var m) ? Unwrap(m, "Metadata", documents) : default;
            string? partition = null;
            var sequenceNumbers = new List<long?>();
            var enqueuedTimes = new List<DateTimeOffset?>();
            if (metadata.ValueKind == JsonValueKind.Object)
            {
                const string Context = "Metadata.TriggerPartitionContext", Sequences = "Metadata.SequenceNumberArray", Times = "Metadata.EnqueuedTimeUtcArray";
                if (metadata.TryGetProperty("TriggerPartitionContext", out var context)
                    && Unwrap(context, Context, documents) is { ValueKind: JsonValueKind.Object } ctx
                    && ctx.TryGetProperty("PartitionId", out var id))
                    partition = id.ValueKind == JsonValueKind.String ? Text(id, Context + ".PartitionId") : id.GetRawText();
                if (metadata.TryGetProperty("SequenceNumberArray", out var sequences) && Unwrap(sequences, Sequences, documents) is { ValueKind: JsonValueKind.Array } seqArray)
                    foreach (var s in seqArray.EnumerateArray()) sequenceNumbers.Add(Long(s, Sequences));
                if (metadata.TryGetProperty("EnqueuedTimeUtcArray", out var times) && Unwrap(times, Times, documents) is { ValueKind: JsonValueKind.Array } timeArray)
                    foreach (var t in timeArray.EnumerateArray()) enqueuedTimes.Add(Time(t, Times));
            }

            var events = new List<IncomingEvent>(bodies.Count);
            for (int i = 0; i < bodies.Count; i++)
                events.Add(new IncomingEvent(bodies[i], i < enqueuedTimes.Count ? enqueuedTimes[i] : null, i < sequenceNumbers.Count ? sequenceNumbers[i] : null));
            return new EventHubBatch(events, partition);
        }
        finally
        {
            foreach (var d in documents) d.Dispose();
        }
    }

    /// <summary>
    /// Each event body's bytes. With dataType "string" every element is a string holding the event's JSON; an
    /// element that is JSON already is taken as is. A body that is not JSON is still an event: it is rejected and
    /// dead-lettered downstream, never allowed to fail the batch.
    /// </summary>
    private static List<ReadOnlyMemory<byte>> EventBodies(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            // The host's usual shape, a string holding the array: unescaped straight to UTF-8 and split with a reader,
            // so the events are not decoded to UTF-16 and back nor parsed into a document before validation parses them.
            var array = Unescape(JsonMarshal.GetRawUtf8Value(value)) ?? throw new InvocationFormatException($"Data.{BindingName}", "The events string holds an escaped lone surrogate.");
            // cardinality "one", or an array the host did not encode: a string that is not an array is one event.
            return SplitArray(array) ?? [array];
        }
        if (value.ValueKind != JsonValueKind.Array) return [RawBytes(value)];
        var bodies = new List<ReadOnlyMemory<byte>>(value.GetArrayLength());
        foreach (var element in value.EnumerateArray())
            bodies.Add(element.ValueKind == JsonValueKind.String ? Unescape(JsonMarshal.GetRawUtf8Value(element)) ?? RawBytes(element) : RawBytes(element));
        return bodies;
    }

    /// <summary>The elements of a JSON array (strings unescaped, anything else as its raw bytes), or null when <paramref name="json"/> is not one.</summary>
    private static List<ReadOnlyMemory<byte>>? SplitArray(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        var bodies = new List<ReadOnlyMemory<byte>>();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                var text = reader.TokenType == JsonTokenType.String ? StringValue(ref reader) : null;
                reader.Skip();
                bodies.Add(text ?? json[start..(int)reader.BytesConsumed]);
            }
            // Anything after the array makes it not an array after all.
            if (reader.Read()) return null;
        }
        catch (JsonException)
        {
            return null;
        }
        return bodies;
    }

    /// <summary>The UTF-8 text of a JSON string token given as its raw bytes, quotes included; null as in <see cref="StringValue"/>.</summary>
    private static byte[]? Unescape(ReadOnlySpan<byte> token)
    {
        var reader = new Utf8JsonReader(token);
        reader.Read();
        return StringValue(ref reader);
    }

    /// <summary>
    /// The current string token unescaped to UTF-8, or null when it escapes a lone surrogate (no UTF-8 form): the
    /// caller then keeps the raw token, which validation rejects and dead-letters rather than failing the batch.
    /// </summary>
    private static byte[]? StringValue(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan.ToArray();
        var text = new byte[reader.ValueSpan.Length];
        try
        {
            return text.AsSpan(0, reader.CopyString(text)).ToArray();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static byte[] RawBytes(JsonElement element) => JsonMarshal.GetRawUtf8Value(element).ToArray();

    private static JsonElement Unwrap(JsonElement value, string field, List<JsonDocument> documents) =>
        value.ValueKind == JsonValueKind.String && TryParse(Text(value, field), documents) is { } parsed ? parsed : value;

    /// <summary>
    /// A string of the envelope. An escaped lone surrogate there is no fault of one event: the invocation as a whole
    /// is unreadable, and is dead-lettered whole rather than failed (which the host would retry forever).
    /// </summary>
    private static string Text(JsonElement value, string field) =>
        InputRules.TryGetText(value, out var text) ? text : throw new InvocationFormatException(field, $"{field} {InputRules.NotUnicode}.");

    private static JsonElement? TryParse(string text, List<JsonDocument> documents)
    {
        try
        {
            var document = JsonDocument.Parse(text);
            documents.Add(document);
            return document.RootElement;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static long? Long(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n
        : value.ValueKind == JsonValueKind.String && long.TryParse(Text(value, field), NumberStyles.Integer, CultureInfo.InvariantCulture, out n) ? n
        : null;

    /// <summary>Json.NET writes the UTC DateTime as "2025-03-01T10:00:00.123Z"; one without an offset is UTC too.</summary>
    private static DateTimeOffset? Time(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(Text(value, field), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}

/// <summary>An invocation request that cannot be read; <see cref="Field"/> names the part at fault ("$": the whole), as dead-letter reasons do.</summary>
public sealed class InvocationFormatException(string field, string message) : FormatException(message)
{
    public string Field { get; } = field;
}
