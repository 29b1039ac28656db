using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Ingest;

namespace ServerlessReco.Jobs;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RejectedRow))]
[JsonSerializable(typeof(Evaluate.EvaluationReport))]
[JsonSerializable(typeof(Embed.InstallEncoderJob.EncoderSource))]
public partial class JobsJsonContext : JsonSerializerContext;
