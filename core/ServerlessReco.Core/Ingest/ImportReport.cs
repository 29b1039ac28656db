namespace ServerlessReco.Ingest;

/// <summary>What an import did with every row: nothing is dropped without being counted here.</summary>
public sealed class ImportReport
{
    public long Rows { get; set; }
    public long Events { get; set; }
    public long Items { get; set; }
    public long Users { get; set; }
    public long AnonymousRows { get; set; }
    public long CancellationRows { get; set; }
    public long PurchasesRemovedByCancellation { get; set; }
    public long PurchasesReducedByCancellation { get; set; }
    public long UnmatchedCancellations { get; set; }
    public long NonProductRows { get; set; }
    public long AdjustmentRows { get; set; }
    public Dictionary<string, long> RowsByMarket { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> UnknownCountries { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> MalformedByReason { get; } = new(StringComparer.Ordinal);
    /// <summary>Rejected rows verbatim with line number and reason, for the dead-letter store.</summary>
    public List<RejectedRow> Rejected { get; } = [];

    public long Malformed => MalformedByReason.Values.Sum();

    public void Reject(long line, string raw, string reason)
    {
        MalformedByReason[reason] = MalformedByReason.GetValueOrDefault(reason) + 1;
        Rejected.Add(new RejectedRow(line, raw, reason));
    }
}

public sealed record RejectedRow(long Line, string Raw, string Reason);
