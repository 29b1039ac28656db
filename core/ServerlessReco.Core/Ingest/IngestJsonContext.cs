using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessReco.Ingest;

/// <summary>Source-generated JSON for ingestion's answers and dead letters (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestReport))]
[JsonSerializable(typeof(IngestCounts))]
[JsonSerializable(typeof(ItemUpsertReport))]
[JsonSerializable(typeof(ErasureReport))]
[JsonSerializable(typeof(DeadLetter))]
public partial class IngestJsonContext : JsonSerializerContext;
