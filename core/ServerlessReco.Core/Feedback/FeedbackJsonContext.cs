using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessReco.Feedback;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(ShownItems))]
[JsonSerializable(typeof(OnlineReport))]
[JsonSerializable(typeof(ReplayRun))]
public partial class FeedbackJsonContext : JsonSerializerContext;
