using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Operator;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

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
    public static async Task<Results<Ok<IngestReport>, ProblemHttpResult>> PostEventsAsync(
        HttpRequest request, IngestPipeline pipeline, StorageCalls storage, IngestionTally tally, HandlerTelemetry telemetry, CancellationToken aborted)
    {
        if (await RequestHelpers.ReadBoundedAsync(request, MaxBytesPerRequest, aborted) is not { } body)
            return Problems.TooLarge($"{MaxEventsPerRequest} events and 1 MiB ({MaxBytesPerRequest:N0} bytes)");
        var (events, error) = SplitArray(body);
        if (error is not null) return error;

        return await storage.RunEventsAsync<Ok<IngestReport>>("Storing the events",
            async ct =>
            {
                var report = await pipeline.IngestAsync(events!, "http", null, ct);
                tally.Record(report);
                telemetry.Ingested("http", report.Accepted, report.Duplicates, report.Rejected);
                return TypedResults.Ok(report);
            }, request.HttpContext);
    }

    /// <summary>
    /// Splits the array into its elements' exact bytes (for dead letters) without trusting any element to be
    /// valid: only the array as a whole must be JSON.
    /// </summary>
    private static (List<IncomingEvent>? Events, ProblemHttpResult? Error) SplitArray(ReadOnlyMemory<byte> body)
    {
        var events = new List<IncomingEvent>();
        var reader = new Utf8JsonReader(body.Span);
        try
        {
            if (!reader.Read()) return (null, Problems.BadRequest("The body is empty: send a JSON array of events."));
            if (reader.TokenType != JsonTokenType.StartArray) return (null, Problems.BadRequest("The body must be a JSON array of events."));
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (events.Count == MaxEventsPerRequest)
                    return (null, Problems.TooLarge($"{MaxEventsPerRequest} events and 1 MiB ({MaxBytesPerRequest:N0} bytes)"));
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                events.Add(new IncomingEvent(body[start..(int)reader.BytesConsumed]));
            }
            // Throws on anything after the array.
            reader.Read();
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest("The body is not valid JSON: " + e.Message));
        }
        return (events, null);
    }

    /// <summary>
    /// POST /IngestEvents, the eventHubTrigger (cardinality many). 200 only once every event of the batch is
    /// stored or dead-lettered; anything else is a 500, the invocation fails and the host's retry policy sends
    /// the batch again, so no batch is checkpointed unstored.
    /// </summary>
    public static async Task<Results<JsonHttpResult<InvocationResult>, ProblemHttpResult>> IngestEventHubAsync(
        HttpRequest request, IngestPipeline pipeline, StorageCalls storage, DataStore store, TimeProvider time, IngestionTally tally, HandlerTelemetry telemetry, CancellationToken aborted)
    {
        if (await RequestHelpers.ReadBoundedAsync(request, MaxEventHubPayloadBytes, aborted) is not { } body)
            return Problems.TooLarge($"{MaxEventHubPayloadBytes / 1024 / 1024} MiB per invocation: lower maxEventBatchSize in host.json");
        var logger = storage.Logger;

        EventHubBatch batch;
        try
        {
            batch = EventHubBatch.Parse(body);
        }
        catch (InvocationFormatException e)
        {
            // A failed invocation would be retried forever (maxRetryCount -1) and hold up its partition: the whole
            // payload goes to the dead letters, and is acknowledged only once it is kept there.
            return await storage.RunEventsAsync<JsonHttpResult<InvocationResult>>("Dead-lettering an unreadable invocation", async ct =>
            {
                var letter = DeadLetterStore.Create(time.GetUtcNow(), new DeadLetterSource("eventhub"), new() { [e.Field] = [e.Message] }, body.Span);
                var paths = await new DeadLetterStore(store.Blobs).WriteAsync([letter], ct);
                logger.LogWarning("Unreadable IngestEvents invocation dead-lettered to {Path}: {Reason}", paths[0], e.Message);
                tally.RecordUnreadable(e.Field);
                telemetry.Ingested("eventhub", 0, 0, 1);
                return TypedResults.Json(new InvocationResult([], [$"Unreadable invocation dead-lettered to deadletter/{paths[0]}: {e.Message}"], new IngestCounts(0, 0, 1)),
                    InvocationJsonContext.Default.InvocationResult);
            }, request.HttpContext);
        }

        return await storage.RunEventsAsync<JsonHttpResult<InvocationResult>>($"Storing Event Hubs partition {batch.Partition} batch", async ct =>
        {
            var report = await pipeline.IngestAsync(batch.Events, "eventhub", batch.Partition, ct);
            tally.Record(report);
            telemetry.Ingested("eventhub", report.Accepted, report.Duplicates, report.Rejected);
            var sequences = batch.Events.Select(e => e.SequenceNumber).OfType<long>().ToList();
            var range = sequences.Count > 0 ? $" (sequence {sequences.Min()}..{sequences.Max()})" : "";
            var line = $"IngestEvents partition {batch.Partition ?? "?"}{range}: {batch.Events.Count} events, {report.Accepted} accepted, {report.Duplicates} duplicates, {report.Rejected} rejected (dead-lettered)";
            logger.LogInformation("{Line}", line);
            return TypedResults.Json(new InvocationResult([], [line], report.Counts), InvocationJsonContext.Default.InvocationResult);
        }, request.HttpContext);
    }
}
