using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessReco.Domain;

/// <summary>Source-generated serialisation for everything the core stores, so the function app can publish with Native AOT.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InteractionEvent))]
[JsonSerializable(typeof(CatalogItem))]
[JsonSerializable(typeof(List<CatalogItem>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, decimal>))]
public partial class DomainJsonContext : JsonSerializerContext;
