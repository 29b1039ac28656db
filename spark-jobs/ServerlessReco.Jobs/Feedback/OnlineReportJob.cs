using System.Text.Json;
using ServerlessReco.Feedback;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Feedback;

/// <summary>
/// `online-report`: joins the impression log with the event log (attribution happens here, see
/// <see cref="OnlineMetrics"/>), stores the report for the console and optionally writes it to a file.
/// </summary>
public static class OnlineReportJob
{
    public static async Task<(OnlineReport Report, string StoredAt)> RunAsync(DataStore store, DateTimeOffset? since, string? experiment, TimeSpan window, string? jsonPath, CancellationToken ct)
    {
        if (window <= TimeSpan.Zero) throw new ArgumentException("--window-hours must be positive.");
        var impressions = await new ImpressionLog(store.Blobs).ReadAsync(since, ct).ConfigureAwait(false);
        var events = await store.EventLog.ReadDistinctAsync(ct: ct).ConfigureAwait(false);
        var reports = new OnlineReportStore(store.Blobs);
        var replays = await reports.ReadReplaysAsync(ct).ConfigureAwait(false);
        // Simulated when any impression falls inside a replay's window: replayed shoppers are not shoppers.
        bool simulated = impressions.Any(i => replays.Any(r => i.Time >= r.Started && i.Time <= r.Finished));
        var report = OnlineMetrics.Compute(impressions, events, window, new EventValidationOptions().MaxClockSkew, since, experiment, simulated, DateTimeOffset.UtcNow);
        var path = await reports.WriteAsync(report, ct).ConfigureAwait(false);
        if (jsonPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
            await File.WriteAllBytesAsync(jsonPath, JsonSerializer.SerializeToUtf8Bytes(report, FeedbackJsonContext.Default.OnlineReport), ct).ConfigureAwait(false);
        }
        return (report, $"{Containers.Reports}/{path}");
    }
}
