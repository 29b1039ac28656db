using Azure;

namespace ServerlessReco.Translate;

/// <summary>
/// Translator connection settings: <see cref="KeyVariable"/>, <see cref="EndpointVariable"/> (optional, defaults
/// to the global endpoint) and <see cref="RegionVariable"/> (optional). A missing key disables translation
/// instead of failing. The caller reads the values (the handler's options); this class only judges them.
/// </summary>
public sealed class TranslatorSettings
{
    public const string KeyVariable = "TRANSLATOR_KEY";
    public const string EndpointVariable = "TRANSLATOR_ENDPOINT";
    public const string RegionVariable = "TRANSLATOR_REGION";

    private TranslatorSettings(Uri endpoint, string key, string? region)
    {
        Endpoint = endpoint;
        Key = key;
        Region = region;
    }

    public Uri Endpoint { get; }

    public string Key { get; }

    public string? Region { get; }

    /// <summary>The settings, or null with <paramref name="disabledReason"/> saying what is missing or wrong.</summary>
    public static TranslatorSettings? From(string? key, string? endpoint, string? region, out string? disabledReason)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            disabledReason = $"translation disabled: {KeyVariable} not set";
            return null;
        }

        var uri = TranslatorClient.GlobalEndpoint;
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps)
            {
                disabledReason = $"translation disabled: {EndpointVariable} '{endpoint}' is not an absolute https URL";
                return null;
            }
            uri = parsed;
        }

        disabledReason = null;
        return new TranslatorSettings(uri, key.Trim(), string.IsNullOrWhiteSpace(region) ? null : region.Trim());
    }

    /// <summary>A key-authenticated client; <see cref="Region"/> overrides any region already in <paramref name="options"/>.</summary>
    public TranslatorClient CreateClient(TranslatorClientOptions? options = null)
    {
        options ??= new TranslatorClientOptions();
        options.Region = Region ?? options.Region;
        return new TranslatorClient(Endpoint, new AzureKeyCredential(Key), options);
    }
}
