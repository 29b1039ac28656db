namespace ServerlessReco.Storage;

/// <summary>
/// Containers of immutable files: the event log, dead letters, tombstones and model versions. Azure Blob
/// Storage in production and in every test (azurite); a plain directory for data teams running jobs on files.
/// </summary>
public interface IBlobStore
{
    /// <summary>Writes a file. Returns false, writing nothing, when it exists and <paramref name="overwrite"/> is false.</summary>
    Task<bool> PutAsync(string container, string path, BinaryData content, bool overwrite, CancellationToken ct = default);

    /// <summary>The file's bytes, or null when it does not exist.</summary>
    Task<BinaryData?> GetAsync(string container, string path, CancellationToken ct = default);

    /// <summary>The file as a stream to read once, or null when it does not exist: a large file can go straight to where it is used.</summary>
    Task<Stream?> OpenReadAsync(string container, string path, CancellationToken ct = default);

    /// <summary>Paths in the container that start with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string container, string prefix, CancellationToken ct = default);

    Task<bool> DeleteAsync(string container, string path, CancellationToken ct = default);

    /// <summary>Where the data lives, for messages.</summary>
    string Describe();
}

public static class Containers
{
    public const string Events = "events";
    public const string DeadLetter = "deadletter";
    public const string Tombstones = "tombstones";
    public const string Models = "models";
    public const string Catalog = "catalog";
    /// <summary>What serving showed (<see cref="Feedback.ImpressionLog"/>).</summary>
    public const string Impressions = "impressions";
    /// <summary>Online reports and replay records (<see cref="Feedback.OnlineReportStore"/>).</summary>
    public const string Reports = "reports";
}
