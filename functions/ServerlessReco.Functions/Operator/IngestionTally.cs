using ServerlessReco.Ingest;

namespace ServerlessReco.Functions.Operator;

/// <summary>
/// This instance's ingestion outcomes per UTC minute since it started, for the console. Accepted and duplicate
/// events leave no per-request trace in storage (the events table is the dedup marker, the log is per day), so
/// they are counted here as they are answered; dead letters, which storage keeps, are read from there. Counting in
/// memory adds no storage call to ingestion; a restart starts the counts afresh, and each instance has its own.
/// </summary>
public sealed class IngestionTally(TimeProvider time)
{
    /// <summary>How much history an instance keeps: a day of minutes.</summary>
    public const int Minutes = 24 * 60;

    private readonly Lock _lock = new();
    private readonly Queue<IngestionMinute> _minutes = new();
    private IngestionMinute? _last;

    /// <summary>When the process started: every ingestion passes through this tally, so nothing before it is missing.</summary>
    public DateTimeOffset Since { get; } = time.GetUtcNow().AddMilliseconds(-Serve.ProcessClock.MillisecondsSinceStart());

    /// <summary>Counts one answered batch; rejected events by each field named in their errors.</summary>
    public void Record(IngestReport report)
    {
        Dictionary<string, int>? fields = null;
        foreach (var result in report.Results)
        {
            if (result.Status != EventStatus.Rejected) continue;
            fields ??= new(StringComparer.Ordinal);
            foreach (var field in result.Errors?.Keys ?? (IEnumerable<string>)["event"])
                fields[field] = fields.GetValueOrDefault(field) + 1;
        }
        Add(report.Accepted, report.Duplicates, report.Rejected, fields);
    }

    /// <summary>A whole payload refused before its events could be told apart (an unreadable Event Hubs invocation).</summary>
    public void RecordUnreadable(string field) => Add(0, 0, 1, new() { [field] = 1 });

    private void Add(int accepted, int duplicates, int rejected, Dictionary<string, int>? fields)
    {
        var now = time.GetUtcNow();
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        lock (_lock)
        {
            var last = _last;
            if (last is null || last.At != minute)
            {
                _last = last = new IngestionMinute(minute);
                _minutes.Enqueue(last);
                while (_minutes.Peek().At <= minute.AddMinutes(-Minutes)) _minutes.Dequeue();
            }
            last.Accepted += accepted;
            last.Duplicates += duplicates;
            last.Rejected += rejected;
            foreach (var (field, count) in fields ?? []) last.RejectedByField[field] = last.RejectedByField.GetValueOrDefault(field) + count;
        }
    }

    /// <summary>The minutes that saw any event, oldest first, as copies.</summary>
    public List<IngestionMinuteCounts> Snapshot()
    {
        lock (_lock)
            return [.. _minutes.Select(m => new IngestionMinuteCounts(m.At, m.Accepted, m.Duplicates, m.Rejected, new(m.RejectedByField)))];
    }

    private sealed class IngestionMinute(DateTimeOffset at)
    {
        public DateTimeOffset At { get; } = at;
        public int Accepted { get; set; }
        public int Duplicates { get; set; }
        public int Rejected { get; set; }
        public Dictionary<string, int> RejectedByField { get; } = new(StringComparer.Ordinal);
    }
}
