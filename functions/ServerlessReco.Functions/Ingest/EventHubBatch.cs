using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
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

    /// <exception cref="FormatException">The payload is not an invocation request holding events.</exception>
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
                throw new FormatException("The invocation request is not JSON: " + e.Message);
            }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Data", out var data))
                throw new FormatException("The invocation request has no Data object.");
            data = Unwrap(data, documents);
            if (data.ValueKind != JsonValueKind.Object)
                throw new FormatException("Data is not an object.");
            if (!data.TryGetProperty(BindingName, out var value))
            {
                // Defensive: a renamed binding still works as long as it is the only one.
                var properties = data.EnumerateObject().ToList();
                if (properties.Count != 1) throw new FormatException($"Data has no '{BindingName}' binding.");
                value = properties[0].Value;
            }

            var bodies = EventBodies(value, documents);
            var metadata = root.TryGetProperty("Metadata", out var m) ? Unwrap(m, documents) : default;
            string? partition = null;
            var sequenceNumbers = new List<long?>();
            var enqueuedTimes = new List<DateTimeOffset?>();
            if (metadata.ValueKind == JsonValueKind.Object)
            {
                if (metadata.TryGetProperty("TriggerPartitionContext", out var context)
                    && Unwrap(context, documents) is { ValueKind: JsonValueKind.Object } ctx
                    && ctx.TryGetProperty("PartitionId", out var id))
                    partition = id.ValueKind == JsonValueKind.String ? id.GetString() : id.GetRawText();
                if (metadata.TryGetProperty("SequenceNumberArray", out var sequences) && Unwrap(sequences, documents) is { ValueKind: JsonValueKind.Array } seqArray)
                    foreach (var s in seqArray.EnumerateArray()) sequenceNumbers.Add(Long(s));
                if (metadata.TryGetProperty("EnqueuedTimeUtcArray", out var times) && Unwrap(times, documents) is { ValueKind: JsonValueKind.Array } timeArray)
                    foreach (var t in timeArray.EnumerateArray()) enqueuedTimes.Add(Time(t));
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
    private static List<ReadOnlyMemory<byte>> EventBodies(JsonElement value, List<JsonDocument> documents)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            var parsed = TryParse(text, documents);
            // cardinality "one", or an array the host did not encode: a string that is not an array is one event.
            if (parsed is not { ValueKind: JsonValueKind.Array } array) return [Encoding.UTF8.GetBytes(text)];
            value = array;
        }
        if (value.ValueKind != JsonValueKind.Array) return [RawBytes(value)];
        var bodies = new List<ReadOnlyMemory<byte>>(value.GetArrayLength());
        foreach (var element in value.EnumerateArray())
            bodies.Add(element.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(element.GetString()!) : RawBytes(element));
        return bodies;
    }

    private static byte[] RawBytes(JsonElement element) => JsonMarshal.GetRawUtf8Value(element).ToArray();

    private static JsonElement Unwrap(JsonElement value, List<JsonDocument> documents) =>
        value.ValueKind == JsonValueKind.String && TryParse(value.GetString()!, documents) is { } parsed ? parsed : value;

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

    private static long? Long(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n
        : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n) ? n
        : null;

    /// <summary>Json.NET writes the UTC DateTime as "2025-03-01T10:00:00.123Z"; one without an offset is UTC too.</summary>
    private static DateTimeOffset? Time(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
