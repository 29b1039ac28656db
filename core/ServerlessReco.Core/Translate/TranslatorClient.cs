using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ServerlessReco.Translate;

/// <summary>
/// Client for the Azure AI Translator Text REST API v3.0 <c>translate</c> operation. Splits any number of texts
/// into requests that respect the per-request element and character limits and returns results in input order.
/// </summary>
public class TranslatorClient
{
    /// <summary>The public multi-region endpoint.</summary>
    public static readonly Uri GlobalEndpoint = new("https://api.cognitive.microsofttranslator.com");

    private const string ApiVersion = "3.0";
    private const string TokenScope = "https://cognitiveservices.azure.com/.default";
    private const string CustomDomainSuffix = ".cognitiveservices.azure.com";

    private readonly HttpPipeline _pipeline = null!;
    private readonly string _translatePath = null!;
    private readonly int _maxElements;
    private readonly int _maxCharacters;

    /// <summary>For mocking.</summary>
    protected TranslatorClient()
    {
    }

    public TranslatorClient(Uri endpoint, AzureKeyCredential credential, TranslatorClientOptions? options = null)
        : this(endpoint, options ?? new TranslatorClientOptions(), CreateKeyPolicy(credential, options))
    {
    }

    public TranslatorClient(Uri endpoint, TokenCredential credential, TranslatorClientOptions? options = null)
        : this(endpoint, options ?? new TranslatorClientOptions(), CreateTokenPolicies(endpoint, credential, options))
    {
    }

    private TranslatorClient(Uri endpoint, TranslatorClientOptions options, HttpPipelinePolicy[] authPolicies)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri)
            throw new ArgumentException($"Endpoint must be an absolute URI, got '{endpoint}'.", nameof(endpoint));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxElementsPerRequest, 1, nameof(options.MaxElementsPerRequest));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxElementsPerRequest, TranslatorClientOptions.ServiceMaxElementsPerRequest, nameof(options.MaxElementsPerRequest));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCharactersPerRequest, 1, nameof(options.MaxCharactersPerRequest));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxCharactersPerRequest, TranslatorClientOptions.ServiceMaxCharactersPerRequest, nameof(options.MaxCharactersPerRequest));

        Endpoint = endpoint;
        _translatePath = IsCustomDomain(endpoint) ? "translator/text/v3.0/translate" : "translate";
        _maxElements = options.MaxElementsPerRequest;
        _maxCharacters = options.MaxCharactersPerRequest;
        // Auth runs per retry so a token that expires during a long Retry-After wait is refreshed.
        _pipeline = HttpPipelineBuilder.Build(
            options,
            perCallPolicies: [],
            perRetryPolicies: authPolicies,
            new StatusCodeClassifier(stackalloc ushort[] { 200 }));
    }

    public virtual Uri Endpoint { get; } = GlobalEndpoint;

    /// <summary>
    /// Translates <paramref name="texts"/> into every language in <paramref name="to"/>; the source language is
    /// detected per text when <paramref name="from"/> is null. Requests are sent one after another.
    /// </summary>
    /// <exception cref="ArgumentException">A text is too long to fit a single request for this many target languages.</exception>
    /// <exception cref="RequestFailedException">The service rejected a request; <see cref="RequestFailedException.ErrorCode"/> holds its six-digit code.</exception>
    public virtual async Task<IReadOnlyList<TranslatedText>> TranslateAsync(
        IReadOnlyList<string> texts,
        IReadOnlyList<string> to,
        string? from = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(to);
        if (to.Count == 0)
            throw new ArgumentException("At least one target language is required.", nameof(to));
        foreach (var language in to)
            ArgumentException.ThrowIfNullOrWhiteSpace(language, nameof(to));
        if (from is not null)
            ArgumentException.ThrowIfNullOrWhiteSpace(from, nameof(from));

        // Planned up front so an oversized text fails before any characters are billed.
        var batches = PlanBatches(texts, to.Count, _maxElements, _maxCharacters);
        var results = new List<TranslatedText>(texts.Count);
        foreach (var (start, count) in batches)
        {
            var batch = await SendBatchAsync(texts, start, count, to, from, cancellationToken).ConfigureAwait(false);
            results.AddRange(batch);
        }
        return results;
    }

    /// <summary>
    /// Greedy split into consecutive (start, count) runs of at most <paramref name="maxElements"/> texts whose
    /// length sum times <paramref name="targetCount"/> stays within <paramref name="maxCharacters"/>.
    /// </summary>
    internal static List<(int Start, int Count)> PlanBatches(IReadOnlyList<string> texts, int targetCount, int maxElements, int maxCharacters)
    {
        // string.Length counts UTF-16 units, never fewer than the code points the service counts, so a
        // batch that fits here also fits there.
        var maxPerText = maxCharacters / targetCount;
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text at index {i} is null.", nameof(texts));
            if (text.Length > maxPerText)
                throw new ArgumentException(
                    $"Text at index {i} has {text.Length} characters; the Translator limit of {maxCharacters} characters per request, " +
                    $"counted once for each of the {targetCount} target languages, allows at most {maxPerText} characters per text. " +
                    "Split the text or translate into fewer languages per call.",
                    nameof(texts));
        }

        var batches = new List<(int, int)>();
        var batchStart = 0;
        long batchCharacters = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            long cost = (long)texts[i].Length * targetCount;
            if (i > batchStart && (i - batchStart == maxElements || batchCharacters + cost > maxCharacters))
            {
                batches.Add((batchStart, i - batchStart));
                batchStart = i;
                batchCharacters = 0;
            }
            batchCharacters += cost;
        }
        if (texts.Count > batchStart)
            batches.Add((batchStart, texts.Count - batchStart));
        return batches;
    }

    private async Task<IReadOnlyList<TranslatedText>> SendBatchAsync(
        IReadOnlyList<string> texts, int start, int count, IReadOnlyList<string> to, string? from, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(Endpoint);
        request.Uri.AppendPath(_translatePath, escape: false);
        request.Uri.AppendQuery("api-version", ApiVersion);
        foreach (var language in to)
            request.Uri.AppendQuery("to", language);
        if (from is not null)
            request.Uri.AppendQuery("from", from);
        request.Headers.SetValue("Content-Type", "application/json; charset=UTF-8");
        // Translator logs this id rather than x-ms-client-request-id; sending the same value ties both logs together.
        request.Headers.SetValue("X-ClientTraceId", request.ClientRequestId);
        request.Content = RequestContent.Create(WriteBody(texts, start, count));

        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (message.ResponseClassifier.IsErrorResponse(message))
            throw CreateException(response);

        List<TranslateResultItem>? items;
        try
        {
            items = JsonSerializer.Deserialize(response.Content.ToMemory().Span, TranslatorJsonContext.Default.ListTranslateResultItem);
        }
        catch (JsonException ex)
        {
            throw new RequestFailedException(response.Status, "Translator returned a response body that is not the v3.0 translate JSON array.", null, ex);
        }
        if (items is null || items.Count != count)
            throw new RequestFailedException(response.Status,
                $"Translator returned {items?.Count ?? 0} results for {count} texts; results cannot be matched to inputs.", null, null);

        var results = new TranslatedText[count];
        for (var i = 0; i < count; i++)
        {
            var item = items[i];
            var translations = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var translation in item.Translations ?? [])
            {
                if (translation.To is not null && translation.Text is not null)
                    translations[translation.To] = translation.Text;
            }
            var detected = item.DetectedLanguage?.Language is { } language
                ? new DetectedLanguage(language, item.DetectedLanguage.Score)
                : null;
            results[i] = new TranslatedText(detected, translations);
        }
        return results;
    }

    private static ReadOnlyMemory<byte> WriteBody(IReadOnlyList<string> texts, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("Text", texts[i]);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenMemory;
    }

    private static RequestFailedException CreateException(Response response)
    {
        TranslatorError? error = null;
        try
        {
            error = JsonSerializer.Deserialize(response.Content.ToMemory().Span, TranslatorJsonContext.Default.TranslatorErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            // Proxies and load balancers answer with HTML or empty bodies; the status alone still has to surface.
        }

        var code = error is { Code: > 0 } ? error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        var serviceMessage = error?.Message ?? response.ReasonPhrase;
        response.Headers.TryGetValue("X-RequestId", out var requestId);
        var text = $"Translator request failed with status {response.Status}"
            + (code is null ? "" : $", error {code}")
            + $": {serviceMessage} {Advice(response.Status, error?.Code ?? 0)}"
            + (requestId is null ? "" : $" (X-RequestId: {requestId})");
        return new RequestFailedException(response.Status, text, code, null);
    }

    private static string Advice(int status, int code) => code switch
    {
        400035 => "Check the source language code ('from').",
        400036 => "Check the target language codes ('to') against GET /languages?api-version=3.0&scope=translation.",
        400050 or 400077 => "Lower TranslatorClientOptions.MaxCharactersPerRequest / MaxElementsPerRequest.",
        401000 => "Check the key or token, and that the region header matches the resource's region.",
        401015 => "The key belongs to a different API; use a Translator or multi-service resource key.",
        403001 => "The free tier quota is used up; upgrade the pricing tier or wait for the monthly reset.",
        _ when status == 429 => "Throttled after all retries; lower the request rate or raise TranslatorClientOptions.Retry.MaxRetries.",
        _ when status >= 500 => "Transient service failure after all retries; try again later.",
        _ => "",
    };

    private static bool IsCustomDomain(Uri endpoint) =>
        endpoint.Host.EndsWith(CustomDomainSuffix, StringComparison.OrdinalIgnoreCase);

    private static HttpPipelinePolicy[] CreateKeyPolicy(AzureKeyCredential credential, TranslatorClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return [new TranslatorHeadersPolicy(credential, options?.Region, resourceId: null)];
    }

    private static HttpPipelinePolicy[] CreateTokenPolicies(Uri endpoint, TokenCredential credential, TranslatorClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(credential);
        var bearer = new BearerTokenAuthenticationPolicy(credential, TokenScope);
        // A custom domain identifies the resource by its host name; only the shared global host needs to be told.
        if (IsCustomDomain(endpoint))
            return [bearer];
        if (string.IsNullOrWhiteSpace(options?.ResourceId) || string.IsNullOrWhiteSpace(options.Region))
            throw new ArgumentException(
                "Entra ID authentication against the global Translator endpoint needs TranslatorClientOptions.ResourceId and Region; " +
                "set both, or use the resource's custom domain endpoint (https://<name>.cognitiveservices.azure.com).",
                nameof(options));
        return [bearer, new TranslatorHeadersPolicy(key: null, options.Region, options.ResourceId)];
    }
}
