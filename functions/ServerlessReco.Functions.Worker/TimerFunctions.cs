using Microsoft.Azure.Functions.Worker;
using ServerlessReco.Functions.Translate;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Worker;

/// <summary>The custom handler's timer functions, on the same schedules, running the same code.</summary>
public sealed class TimerFunctions(TranslationService translation, DataStore store, ILoggerFactory loggers)
{
    [Function("TranslateCatalog")]
    public async Task TranslateCatalog([TimerTrigger("0 */15 * * * *")] TimerInfo timer, CancellationToken ct) =>
        await TranslationEndpoints.TranslateCatalogOnceAsync(translation, store, loggers.CreateLogger("TranslateCatalog"), ct);
}
