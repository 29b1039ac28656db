using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ServerlessReco.Translate;

namespace ServerlessReco.Functions.Translate;

/// <summary>POST /api/translate body. Elements are nullable so that a null inside the arrays is reported, not thrown.</summary>
public sealed record TranslateRequest(List<string?>? Texts, List<string?>? To, string? From);

public sealed record TranslateResponse(List<TranslatedItem> Translations, CacheCounts Cache);

/// <summary>One input text and its translations keyed by target language.</summary>
public sealed record TranslatedItem(string Text, IReadOnlyDictionary<string, string> To);

public sealed record CacheCounts(long Hits, long Misses);

/// <summary>The custom-handler answer to a non-HTTP trigger; the host reads these exact (Pascal-case) names.</summary>
public sealed record InvocationResult(
    [property: JsonPropertyName("Outputs")] JsonObject Outputs,
    [property: JsonPropertyName("Logs")] List<string> Logs,
    [property: JsonPropertyName("ReturnValue")] JsonNode? ReturnValue);

// Source-generated so the handler can publish with Native AOT.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TranslateRequest))]
[JsonSerializable(typeof(TranslateResponse))]
[JsonSerializable(typeof(InvocationResult))]
[JsonSerializable(typeof(CatalogTranslationReport))]
public sealed partial class TranslateJsonContext : JsonSerializerContext;
