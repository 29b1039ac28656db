using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Rank;

namespace ServerlessReco.Feedback;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(Impression))]
[JsonSerializable(typeof(OnlineReport))]
[JsonSerializable(typeof(ReplayRun))]
[JsonSerializable(typeof(Strategy))]
public partial class FeedbackJsonContext : JsonSerializerContext;
