using ServerlessReco.Translate;

namespace ServerlessReco.Functions.Translate;

// Bound under the names deployments already use (app settings in Azure, environment variables locally;
// README.md and infra/main.bicep) and checked at start by Edge/HandlerOptionsValidator.

/// <summary>The Translator resource; without a key translation is off, which is not an error.</summary>
public sealed class TranslatorOptions
{
    [ConfigurationKeyName(TranslatorSettings.KeyVariable)]
    public string? Key { get; set; }

    [ConfigurationKeyName(TranslatorSettings.EndpointVariable)]
    public string? Endpoint { get; set; }

    [ConfigurationKeyName(TranslatorSettings.RegionVariable)]
    public string? Region { get; set; }

    /// <summary>The client settings, or null with the reason translation is off.</summary>
    public TranslatorSettings? Settings(out string? disabledReason) => TranslatorSettings.From(Key, Endpoint, Region, out disabledReason);
}
