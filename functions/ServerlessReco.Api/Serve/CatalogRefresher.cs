namespace ServerlessReco.Functions.Serve;

/// <summary>Loads the catalogue at start, then follows the change feed, picking up other instances' writes.</summary>
public sealed class CatalogRefresher(CatalogCache catalog, ServeOptions settings, ILogger<CatalogRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(settings.CatalogPollInterval);
        do
        {
            try
            {
                await catalog.UpdateAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Catalogue update failed; serving the {Count} items loaded before", catalog.Count);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
