using System.Globalization;
using System.Text.Json;
using ServerlessReco.Storage;

namespace ServerlessReco.Feedback;

/// <summary>A replay's traffic window: impressions shown within one are simulated shoppers, and reports say so.</summary>
public sealed record ReplayRun(DateTimeOffset Started, DateTimeOffset Finished, string Month, int Shoppers, int Requests, int EventsSent);

/// <summary>
/// reports/online/&lt;time&gt;.json and reports/online/latest.json (what the console reads), and reports/replays/
/// where the replay command records when it ran.
/// </summary>
public sealed class OnlineReportStore(IBlobStore blobs)
{
    public const string LatestPath = "online/latest.json";

    public async Task<string> WriteAsync(OnlineReport report, CancellationToken ct = default)
    {
        var bytes = new BinaryData(JsonSerializer.SerializeToUtf8Bytes(report, FeedbackJsonContext.Default.OnlineReport));
        var path = string.Create(CultureInfo.InvariantCulture, $"online/{report.GeneratedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.json");
        await blobs.PutAsync(Containers.Reports, path, bytes, overwrite: true, ct).ConfigureAwait(false);
        await blobs.PutAsync(Containers.Reports, LatestPath, bytes, overwrite: true, ct).ConfigureAwait(false);
        return path;
    }

    public async Task<OnlineReport?> ReadLatestAsync(CancellationToken ct = default) =>
        await blobs.GetAsync(Containers.Reports, LatestPath, ct).ConfigureAwait(false) is { } data
            ? JsonSerializer.Deserialize(data.ToMemory().Span, FeedbackJsonContext.Default.OnlineReport)
            : null;

    public Task RecordReplayAsync(ReplayRun run, CancellationToken ct = default) =>
        blobs.PutAsync(Containers.Reports, string.Create(CultureInfo.InvariantCulture, $"replays/{run.Started.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.json"),
            new BinaryData(JsonSerializer.SerializeToUtf8Bytes(run, FeedbackJsonContext.Default.ReplayRun)), overwrite: true, ct);

    public async Task<List<ReplayRun>> ReadReplaysAsync(CancellationToken ct = default)
    {
        var runs = new List<ReplayRun>();
        await foreach (var path in blobs.ListAsync(Containers.Reports, "replays/", ct).ConfigureAwait(false))
            if (await blobs.GetAsync(Containers.Reports, path, ct).ConfigureAwait(false) is { } data && JsonSerializer.Deserialize(data.ToMemory().Span, FeedbackJsonContext.Default.ReplayRun) is { } run)
                runs.Add(run);
        return runs;
    }
}
