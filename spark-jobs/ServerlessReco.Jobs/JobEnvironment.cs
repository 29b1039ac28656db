using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs;

/// <summary>
/// The jobs' settings edge: the command line and the process environment (which ./reco and the pipelines set)
/// are read here, so the core library takes values and never reads the environment itself.
/// </summary>
public static class JobEnvironment
{
    extension(DataStore)
    {
        /// <summary>The store for a --store spec, "azurite" and "azure" meaning the connection string in the environment.</summary>
        public static DataStore Open(string? spec) => DataStore.Open(
            spec,
            DataStore.ConfiguredConnection(Variable(DataStore.ConnectionStringVariable), Variable(DataStore.WebJobsStorageVariable)),
            Variable(DataStore.PrefixVariable) ?? "");
    }

    extension(Pseudonymizer)
    {
        public static Pseudonymizer FromEnvironment() => Pseudonymizer.ForKey(Variable(Pseudonymizer.KeyVariable));
    }

    /// <summary>Shopper tokens minted with the configured secret (the development secret when unset), as the handler checks them.</summary>
    public static ShopperTokens Tokens() => ShopperTokens.ForSecret(Variable(ShopperTokens.SecretVariable), TimeProvider.System);

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
