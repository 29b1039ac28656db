using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Ingest;

/// <summary>The Functions host's answer format for a non-HTTP trigger (custom handler contract).</summary>
public sealed record InvocationResult(
    [property: JsonPropertyName("Outputs")] Dictionary<string, string> Outputs,
    [property: JsonPropertyName("Logs")] string[] Logs,
    [property: JsonPropertyName("ReturnValue")] IngestCounts ReturnValue);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InvocationResult))]
public partial class InvocationJsonContext : JsonSerializerContext;

/// <summary>Thin edges over <see cref="IngestPipeline"/>: storefronts over HTTP, and Event Hubs via the Functions host.</summary>
public static class EventEndpoints
{
    public const int MaxEventsPerRequest = 500;
    public const int MaxBytesPerRequest = 1024 * 1024;
    /// <summary>The host's batches are bounded by host.json maxEventBatchSize; this only guards memory.</summary>
    public const int MaxEventHubPayloadBytes = 64 * 1024 * 1024;

    /// <summary>POST /api/events: a JSON array of events; 200 with a result per event, however many were rejected.</summary>
    public static async Task<IResult> PostEventsAsync(HttpContext ctx)
    {
        if (await RequestHelpers.ReadBoundedAsync(ctx, MaxBytesPerRequest, ctx.RequestAborted) is not { } body)
            return RequestHelpers.TooLarge($"{MaxEventsPerRequest} events and 1 MiB ({MaxBytesPerRequest:N0} bytes)");
        var (events, error) = SplitArray(body);
        if (error is not null) return error;

        var pipeline = ctx.RequestServices.GetRequiredService<IngestPipeline>();
        return await RequestHelpers.WithStorageAsync(ctx, "Storing the events", async ct =>
        {
            var report = await pipeline.IngestAsync(events!, "http", null, ct);
            return Results.Json(report, IngestJsonContext.Default.IngestReport);
        });
    }

    /// <summary>
    /// Splits the array into its elements' exact bytes (for dead letters) without trusting any element to be
    /// valid: only the array as a whole must be JSON.
    /// </summary>
    private static (List<IncomingEvent>? Events, IResult? Error) SplitArray(ReadOnlyMemory<byte> body)
    {
        var events = new List<IncomingEvent>();
        var reader = new Utf8JsonReader(body.Span);
        try
        {
            if (!reader.Read()) return (null, RequestHelpers.BadRequest("The body is empty: send a JSON array of events."));
            if (reader.TokenType != JsonTokenType.StartArray) return (null, RequestHelpers.BadRequest("The body must be a JSON array of events."));
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (events.Count == MaxEventsPerRequest)
                    return (null, RequestHelpers.TooLarge($"{MaxEventsPerRequest} events and 1 MiB ({MaxBytesPerRequest:N0} bytes)"));
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                events.Add(new IncomingEvent(body[start..(int)reader.BytesConsumed]));
            }
            // Throws on anything after the array.
            reader.Read();
        }
        catch (JsonException e)
        {
            return (null, RequestHelpers.BadRequest("The body is not valid JSON: " + e.Message));
        }
        return (events, null);
    }

    /// <summary>
    /// POST /IngestEvents, the eventHubTrigger (cardinality many). 200 only once every event of the batch is
    /// stored or dead-lettered; anything else is a 500, the invocation fails and the host's retry policy sends
    /// the batch again, so no batch is checkpointed unstored.
    /// </summary>
    public static async Task<IResult> IngestEventHubAsync(HttpContext ctx)
    {
        if (await RequestHelpers.ReadBoundedAsync(ctx, MaxEventHubPayloadBytes, ctx.RequestAborted) is not { } body)
            return RequestHelpers.TooLarge($"{MaxEventHubPayloadBytes / 1024 / 1024} MiB per invocation: lower maxEventBatchSize in host.json");
        var pipeline = ctx.RequestServices.GetRequiredService<IngestPipeline>();
        var logger = RequestHelpers.Logger(ctx);
        var time = ctx.RequestServices.GetRequiredService<TimeProvider>();

        EventHubBatch batch;
        try
        {
            batch = EventHubBatch.Parse(body);
        }
        catch (FormatException e)
        {
            // Acknowledging it is right only once it is kept: the whole payload goes to the dead letters.
            return await RequestHelpers.WithStorageAsync(ctx, "Dead-lettering an unreadable invocation", async ct =>
            {
                var letter = DeadLetterStore.Create(time.GetUtcNow(), new DeadLetterSource("eventhub"), new() { ["$"] = [e.Message] }, body.Span);
                var paths = await new DeadLetterStore(ctx.RequestServices.GetRequiredService<Storage.DataStore>().Blobs).WriteAsync([letter], ct);
                logger.LogWarning("Unreadable IngestEvents invocation dead-lettered to {Path}: {Reason}", paths[0], e.Message);
                return Results.Json(new InvocationResult([], [$"Unreadable invocation dead-lettered to deadletter/{paths[0]}: {e.Message}"], new IngestCounts(0, 0, 1)),
                    InvocationJsonContext.Default.InvocationResult);
            });
        }

        return await RequestHelpers.WithStorageAsync(ctx, $"Storing Event Hubs partition {batch.Partition} batch", async ct =>
        {
            var report = await pipeline.IngestAsync(batch.Events, "eventhub", batch.Partition, ct);
            var sequences = batch.Events.Select(e => e.SequenceNumber).OfType<long>().ToList();
            var range = sequences.Count > 0 ? $" (sequence {sequences.Min()}..{sequences.Max()})" : "";
            var line = $"IngestEvents partition {batch.Partition ?? "?"}{range}: {batch.Events.Count} events, {report.Accepted} accepted, {report.Duplicates} duplicates, {report.Rejected} rejected (dead-lettered)";
            logger.LogInformation("{Line}", line);
            return Results.Json(new InvocationResult([], [line], report.Counts), InvocationJsonContext.Default.InvocationResult);
        });
    }
}
