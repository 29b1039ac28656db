using Azure.Core;

namespace ServerlessReco.Translate;

/// <summary>Options for <see cref="TranslatorClient"/>; retry, logging, tracing and transport come from Azure.Core.</summary>
public sealed class TranslatorClientOptions : ClientOptions
{
    /// <summary>Service-side cap on elements in one translate request.</summary>
    public const int ServiceMaxElementsPerRequest = 1_000;

    /// <summary>Service-side cap on characters in one request, counted once per target language.</summary>
    public const int ServiceMaxCharactersPerRequest = 50_000;

    public TranslatorClientOptions()
    {
        // Translator throttles per character per minute (429001), so a burst needs several spaced retries
        // rather than Azure.Core's default of 3; Retry-After, when sent, still wins over the computed delay.
        Retry.MaxRetries = 5;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromMilliseconds(500);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);

        // Logged requests keep these visible instead of "REDACTED"; none of them carries a secret, and
        // X-RequestId / X-ClientTraceId are what Microsoft support asks for.
        Diagnostics.LoggedHeaderNames.Add("X-RequestId");
        Diagnostics.LoggedHeaderNames.Add("X-ClientTraceId");
        Diagnostics.LoggedHeaderNames.Add("X-MT-System");
        Diagnostics.LoggedHeaderNames.Add("X-Metered-Usage");
        Diagnostics.LoggedQueryParameters.Add("api-version");
        Diagnostics.LoggedQueryParameters.Add("to");
        Diagnostics.LoggedQueryParameters.Add("from");
    }

    /// <summary>
    /// Azure region of the Translator resource (e.g. "westeurope"). Required with a key for regional and
    /// multi-service resources, and with Entra ID on the global endpoint.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// ARM resource id of the Translator resource; required with Entra ID on the global endpoint, where the
    /// token alone does not say which resource to bill.
    /// </summary>
    public string? ResourceId { get; set; }

    /// <summary>Elements per request, 1 to <see cref="ServiceMaxElementsPerRequest"/>.</summary>
    public int MaxElementsPerRequest { get; set; } = ServiceMaxElementsPerRequest;

    /// <summary>Characters x target languages per request, 1 to <see cref="ServiceMaxCharactersPerRequest"/>.</summary>
    public int MaxCharactersPerRequest { get; set; } = ServiceMaxCharactersPerRequest;
}
