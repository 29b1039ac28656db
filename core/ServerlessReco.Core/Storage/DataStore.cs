using Azure.Data.Tables;
using Azure.Storage.Blobs;
using ServerlessReco.Catalog;
using ServerlessReco.EventLog;
using ServerlessReco.Publish;

namespace ServerlessReco.Storage;

/// <summary>
/// Everything a job reads or writes, opened from one store spec: "azurite" / "azure" (the configured connection
/// string), "dir:PATH", or a connection string itself. The edges read the settings (the handler's options, the
/// jobs' environment) and pass their values in.
/// </summary>
public sealed class DataStore
{
    public const string ConnectionStringVariable = "RECO_STORAGE_CONNECTION_STRING";
    /// <summary>The Functions host's own storage account: the connection string when <see cref="ConnectionStringVariable"/> is not set.</summary>
    public const string WebJobsStorageVariable = "AzureWebJobsStorage";
    public const string PrefixVariable = "RECO_STORAGE_PREFIX";

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

    /// <summary>The connection string the two settings give: <see cref="ConnectionStringVariable"/> first, the host's account otherwise.</summary>
    public static string? ConfiguredConnection(string? connectionStringSetting, string? webJobsStorageSetting) =>
        !string.IsNullOrEmpty(connectionStringSetting) ? connectionStringSetting
        : !string.IsNullOrEmpty(webJobsStorageSetting) ? webJobsStorageSetting
        : null;

    /// <param name="configuredConnection">The connection string "azurite" and "azure" stand for; null when none is configured.</param>
    /// <param name="prefix">See <see cref="FromConnectionString"/>.</param>
    public static DataStore Open(string? spec, string? configuredConnection, string prefix)
    {
        spec = string.IsNullOrWhiteSpace(spec) ? "azurite" : spec.Trim();
        if (spec.StartsWith("dir:", StringComparison.Ordinal))
        {
            var root = Path.GetFullPath(spec[4..]);
            Directory.CreateDirectory(root);
            return new DataStore(new DirectoryBlobStore(root), new FileItemCatalog(Path.Combine(root, "catalog", "items.jsonl")), null, "dir:" + root);
        }
        var connection = spec is "azurite" or "azure"
            ? configuredConnection is { Length: > 0 } c ? c
              : throw new InvalidOperationException($"No storage configured: set {ConnectionStringVariable} (./reco starts azurite and sets it), or pass --store dir:PATH.")
            : spec;
        return FromConnectionString(connection, prefix);
    }

    /// <param name="prefix">Lower-case letters and digits put before every container and table name (<see cref="PrefixVariable"/>).</param>
    /// <param name="breaker">For request paths (the handler): every call fails at once while storage is known to be down. Jobs run without.</param>
    public static DataStore FromConnectionString(string connectionString, string prefix, StorageBreaker? breaker = null)
    {
        if (!IsValidPrefix(prefix, out var rule))
            throw new ArgumentException($"Storage prefix '{prefix}' {rule}.", nameof(prefix));
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        if (breaker is not null)
        {
            StorageBreaker.Configure(blobOptions, breaker);
            StorageBreaker.Configure(tableOptions, breaker);
        }
        var blobs = new BlobServiceClient(connectionString, blobOptions);
        var tables = new TableServiceClient(connectionString, tableOptions);
        return new DataStore(new AzureBlobStore(blobs, prefix), new TableItemCatalog(tables, prefix + "items", prefix + "catalogchanges"), tables, blobs.Uri + prefix)
        {
            Prefix = prefix,
            Breaker = breaker,
        };
    }

    /// <summary>Whether <paramref name="prefix"/> can start container and table names; <paramref name="rule"/> says what it must be.</summary>
    public static bool IsValidPrefix(string prefix, out string rule)
    {
        rule = "must start with a lower-case letter and hold at most 20 lower-case letters and digits";
        return prefix.Length <= 20 && prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) && (prefix.Length == 0 || char.IsAsciiLetterLower(prefix[0]));
    }

    /// <summary>Null unless opened for a request path (<see cref="FromConnectionString"/>).</summary>
    public StorageBreaker? Breaker { get; private init; }

    /// <summary>Put before every container and table name; empty by default.</summary>
    public string Prefix { get; private init; } = "";

    /// <summary>Recent events per user (table "events"); Azure Storage only.</summary>
    public RecentEventsTable RecentEvents => _recent ??= new RecentEventsTable(Table("events"), new ShopperActivityFeed(Table("activity")));
    private RecentEventsTable? _recent;

    /// <summary>Who had events stored lately (table "activity"), written with every events-table write; Azure Storage only.</summary>
    public ShopperActivityFeed Activity => RecentEvents.Activity;

    /// <summary>The items table with its change feed; Azure Storage only (serving and the snapshot job need versions).</summary>
    public TableItemCatalog ItemTable => Catalog as TableItemCatalog
        ?? throw new InvalidOperationException($"The catalogue change feed and snapshots need Azure Storage; {Description} is a directory store.");

    public TableClient Table(string name) => Tables?.GetTableClient(Prefix + name)
        ?? throw new InvalidOperationException($"Table '{name}' needs Azure Storage; {Description} is a directory store.");
}
