using Azure.Data.Tables;
using Azure.Storage.Blobs;
using ServerlessReco.Catalog;
using ServerlessReco.EventLog;
using ServerlessReco.Publish;

namespace ServerlessReco.Storage;

/// <summary>
/// Everything a job reads or writes, opened from one store spec: "azurite" / "azure" (connection string from
/// RECO_STORAGE_CONNECTION_STRING, then AzureWebJobsStorage), "dir:PATH", or a connection string itself.
/// </summary>
public sealed class DataStore
{
    public const string ConnectionStringVariable = "RECO_STORAGE_CONNECTION_STRING";

    private DataStore(IBlobStore blobs, IItemCatalog catalog, TableServiceClient? tables, string description)
    {
        Blobs = blobs;
        Catalog = catalog;
        Tables = tables;
        Description = description;
        EventLog = new EventLogStore(blobs);
        Models = new ModelStore(blobs);
    }

    public IBlobStore Blobs { get; }
    public IItemCatalog Catalog { get; }
    /// <summary>Null for a directory store: the real-time tables exist only in Azure Storage.</summary>
    public TableServiceClient? Tables { get; }
    public EventLogStore EventLog { get; }
    public ModelStore Models { get; }
    public string Description { get; }

    public static DataStore Open(string? spec)
    {
        spec = string.IsNullOrWhiteSpace(spec) ? "azurite" : spec.Trim();
        if (spec.StartsWith("dir:", StringComparison.Ordinal))
        {
            var root = Path.GetFullPath(spec[4..]);
            Directory.CreateDirectory(root);
            return new DataStore(new DirectoryBlobStore(root), new FileItemCatalog(Path.Combine(root, "catalog", "items.jsonl")), null, "dir:" + root);
        }
        var connection = spec is "azurite" or "azure"
            ? Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } c ? c
              : Environment.GetEnvironmentVariable("AzureWebJobsStorage") is { Length: > 0 } w ? w
              : throw new InvalidOperationException($"No storage configured: set {ConnectionStringVariable} (./reco starts azurite and sets it), or pass --store dir:PATH.")
            : spec;
        return FromConnectionString(connection);
    }

    /// <param name="prefix">Lower-case letters and digits put before every container and table name (RECO_STORAGE_PREFIX).</param>
    public static DataStore FromConnectionString(string connectionString, string? prefix = null)
    {
        prefix ??= Environment.GetEnvironmentVariable(PrefixVariable) ?? "";
        if (!prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) || prefix.Length > 20 || (prefix.Length > 0 && !char.IsAsciiLetterLower(prefix[0])))
            throw new ArgumentException($"Storage prefix '{prefix}' must start with a lower-case letter and hold at most 20 lower-case letters and digits.", nameof(prefix));
        var blobs = new BlobServiceClient(connectionString);
        var tables = new TableServiceClient(connectionString);
        return new DataStore(new AzureBlobStore(blobs, prefix), new TableItemCatalog(tables, prefix + "items", prefix + "catalogchanges"), tables, blobs.Uri + prefix) { Prefix = prefix };
    }

    public const string PrefixVariable = "RECO_STORAGE_PREFIX";

    /// <summary>Put before every container and table name; empty by default.</summary>
    public string Prefix { get; private init; } = "";

    /// <summary>Recent events per user (table "events"); Azure Storage only.</summary>
    public RecentEventsTable RecentEvents => _recent ??= new RecentEventsTable(Table("events"));
    private RecentEventsTable? _recent;

    /// <summary>The items table with its change feed; Azure Storage only (serving and the snapshot job need versions).</summary>
    public TableItemCatalog ItemTable => Catalog as TableItemCatalog
        ?? throw new InvalidOperationException($"The catalogue change feed and snapshots need Azure Storage; {Description} is a directory store.");

    public TableClient Table(string name) => Tables?.GetTableClient(Prefix + name)
        ?? throw new InvalidOperationException($"Table '{name}' needs Azure Storage; {Description} is a directory store.");
}
