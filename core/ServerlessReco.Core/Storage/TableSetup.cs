using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Data.Tables;

namespace ServerlessReco.Storage;

/// <summary>
/// Table creation for writers and "no table yet" for readers. Readers never create: a missing table simply
/// holds nothing, and the serving path saves a round trip per instance.
/// </summary>
internal static class TableSetup
{
    // Azure.Data.Tables creates the TableEntity of every query result with Activator.CreateInstance<T>(): keep
    // its constructor when Native AOT trims the app.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(TableEntity))]
    public static EnsureOnce CreateOnce(TableClient table) => new(ct => CreateIfNotExistsAsync(table, ct));

    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(TableEntity))]
    public static bool IsMissingTable(RequestFailedException e) => e.Status == 404 && e.ErrorCode is "TableNotFound" or null;

    private static async Task CreateIfNotExistsAsync(TableClient table, CancellationToken ct)
    {
        try
        {
            await table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException e) when (!System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault)
        {
            // Native AOT: Azure.Data.Tables serialises its create-table body by reflection, which AOT removes.
            // An existing table needs no create, so only a missing one is an error.
            try
            {
                await foreach (var _ in table.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: ct).AsPages().ConfigureAwait(false))
                    break;
            }
            catch (RequestFailedException missing) when (IsMissingTable(missing))
            {
                throw new InvalidOperationException(
                    $"Table '{table.Name}' does not exist and this Native AOT build cannot create it (Azure.Data.Tables creates tables by reflection): " +
                    "provision it (infra/main.bicep creates every table) or start the framework-dependent handler once.", e);
            }
        }
    }
}
