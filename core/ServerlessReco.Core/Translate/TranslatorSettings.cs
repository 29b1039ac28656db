using Azure;

namespace ServerlessReco.Translate;

/// <summary>
/// Translator connection settings from TRANSLATOR_ENDPOINT (optional, defaults to the global endpoint),
/// TRANSLATOR_KEY and TRANSLATOR_REGION (optional). Missing settings disable translation instead of failing.
/// </summary>
public sealed class TranslatorSettings
{
    private TranslatorSettings(Uri endpoint, string key, string? region)
    {
        Endpoint = endpoint;
        Key = key;
        Region = region;
    }

    public Uri Endpoint { get; }

    public string Key { get; }

    public string? Region { get; }

    /// <summary>Settings from the process environment, or null with <paramref name="disabledReason"/> saying what is missing.</summary>
    public static TranslatorSettings? FromEnvironment(out string? disabledReason) =>
        From(Environment.GetEnvironmentVariable, out disabledReason);

    /// <summary>Settings read through <paramref name="getVariable"/> (e.g. an IConfiguration indexer), or null with the reason.</summary>
    public static TranslatorSettings? From(Func<string, string?> getVariable, out string? disabledReason)
    {
        var key = getVariable("TRANSLATOR_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            disabledReason = "translation disabled: TRANSLATOR_KEY not set";
            return null;
        }

        var endpoint = TranslatorClient.GlobalEndpoint;
        var endpointText = getVariable("TRANSLATOR_ENDPOINT");
        if (!string.IsNullOrWhiteSpace(endpointText))
        {
            if (!Uri.TryCreate(endpointText.Trim(), UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps)
            {
                disabledReason = $"translation disabled: TRANSLATOR_ENDPOINT '{endpointText}' is not an absolute https URL";
                return null;
            }
            endpoint = parsed;
        }

        var region = getVariable("TRANSLATOR_REGION");
        disabledReason = null;
        return new TranslatorSettings(endpoint, key.Trim(), string.IsNullOrWhiteSpace(region) ? null : region.Trim());
    }

    /// <summary>A key-authenticated client; <see cref="Region"/> overrides any region already in <paramref name="options"/>.</summary>
    public TranslatorClient CreateClient(TranslatorClientOptions? options = null)
    {
        options ??= new TranslatorClientOptions();
        options.Region = Region ?? options.Region;
        return new TranslatorClient(Endpoint, new AzureKeyCredential(Key), options);
    }
}
