extern alias jsonschema;
using System.Text.Json;
using System.Text.Json.Nodes;
using jsonschema::Json.Schema;

namespace ServerlessReco.Tests.Edge;

/// <summary>The OpenAPI document as the running handler serves it, and JSON Schema checks against its schemas.</summary>
public sealed class GeneratedDocument(JsonElement document)
{
    public JsonElement Root { get; } = document;

    public static async Task<GeneratedDocument> FetchAsync(RunningHandler handler)
    {
        var response = await handler.Client.GetAsync("/api/openapi.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return new GeneratedDocument(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>(path, method) -> operation, methods lower-case as in function.json.</summary>
    public IEnumerable<(string Path, string Method, JsonElement Operation)> Operations() =>
        Root.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(m => m.Name is "get" or "put" or "post" or "delete" or "patch")
            .Select(m => (path.Name, m.Name, m.Value)));

    public JsonElement Operation(string path, string method) =>
        Root.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant());

    /// <summary>
    /// The schema the document gives for <paramref name="status"/> of an operation, with every component schema
    /// alongside. Objects the document describes are closed here (additionalProperties: false), except Problem
    /// Details, whose extensions (traceId) are open by design: a field a response has and the document lacks fails.
    /// </summary>
    public JsonSchema ResponseSchema(string path, string method, int status)
    {
        var content = Operation(path, method).GetProperty("responses").GetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetProperty("content");
        var schema = JsonNode.Parse(content.EnumerateObject().Single().Value.GetProperty("schema").GetRawText())!.AsObject();
        var definitions = JsonNode.Parse(Root.GetProperty("components").GetProperty("schemas").GetRawText())!.AsObject();
        foreach (var (name, definition) in definitions)
            if (name != "HttpValidationProblemDetails") Close(definition!);
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        schema["$defs"] = definitions;
        var text = schema.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    /// <summary>Null when <paramref name="body"/> is valid; otherwise the errors, for the assertion message.</summary>
    public static string? Check(JsonSchema schema, JsonElement body)
    {
        var result = schema.Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        return string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
    }

    private static void Close(JsonNode node)
    {
        if (node is JsonObject o)
        {
            if (o.ContainsKey("properties") && !o.ContainsKey("additionalProperties")) o["additionalProperties"] = false;
            foreach (var (_, child) in o.ToList()) if (child is not null) Close(child);
        }
        else if (node is JsonArray a)
            foreach (var child in a) if (child is not null) Close(child);
    }
}
