using ServerlessReco.Storage;

namespace ServerlessReco.Tests;

/// <summary>
/// Real Azure Storage for tests: the azurite that ./reco test starts. Each store gets its own container and
/// table prefix, so tests never see each other's data.
/// </summary>
public static class TestStorage
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(DataStore.ConnectionStringVariable) is { Length: > 0 } c ? c
        : throw new InvalidOperationException($"{DataStore.ConnectionStringVariable} is not set: run the tests with ./reco test, which starts azurite.");

    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    public static DataStore NewStore() => DataStore.FromConnectionString(ConnectionString, NewPrefix());
}
