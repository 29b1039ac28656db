using System.Net;
using Azure;
using Azure.Core;
using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

public sealed class TranslatorClientTests : IAsyncLifetime
{
    private static readonly Uri CustomDomain = new("https://myreco.cognitiveservices.azure.com");
    private FakeTranslatorServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeTranslatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private TranslatorClient KeyClient(Uri? endpoint = null, Action<TranslatorClientOptions>? configure = null)
    {
        var options = _server.CreateOptions();
        options.Region = "westeurope";
        configure?.Invoke(options);
        return new TranslatorClient(endpoint ?? TranslatorClient.GlobalEndpoint, new AzureKeyCredential(FakeTranslatorServer.Key), options);
    }

    [Fact]
    public async Task Translate_2500ShortTexts_SendsThreeRequestsAndKeepsInputOrder()
    {
        var texts = Enumerable.Range(0, 2500).Select(i => $"title {i}").ToList();

        var results = await KeyClient().TranslateAsync(texts, ["de", "fr"], "en");

        Assert.Equal([1000, 1000, 500], _server.Requests.Select(r => r.Texts.Count));
        Assert.Equal(2500, results.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal($"[de] title {i}", results[i].Translations["de"]);
            Assert.Equal($"[fr] title {i}", results[i].Translations["FR"]);
        }
    }

    [Fact]
    public async Task Translate_CharactersTimesTargetsOverLimit_SplitsRequests()
    {
        // 3,000 characters into 3 languages bill 9,000 each: five fit under 50,000, a sixth does not.
        var texts = Enumerable.Range(0, 12).Select(i => $"{i:D2}".PadRight(3000, 'x')).ToList();

        var results = await KeyClient().TranslateAsync(texts, ["de", "fr", "es"], "en");

        Assert.Equal([5, 5, 2], _server.Requests.Select(r => r.Texts.Count));
        Assert.All(_server.Requests, r => Assert.True(r.Characters <= 50_000, $"request billed {r.Characters} characters"));
        Assert.Equal(texts.Select(t => "[es] " + t), results.Select(r => r.Translations["es"]));
    }

    [Fact]
    public async Task Translate_LoweredOptionLimits_AreRespected()
    {
        var texts = Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 10 + i)).ToList();

        var results = await KeyClient(configure: o => { o.MaxElementsPerRequest = 3; o.MaxCharactersPerRequest = 60; })
            .TranslateAsync(texts, ["de", "fr"], "en");

        Assert.All(_server.Requests, r => Assert.True(r.Texts.Count <= 3 && r.Characters <= 60));
        Assert.Equal(texts, _server.Requests.SelectMany(r => r.Texts));
        Assert.Equal(texts.Select(t => "[fr] " + t), results.Select(r => r.Translations["fr"]));
    }

    [Fact]
    public async Task Translate_SingleTextOverLimitPerTarget_ThrowsArgumentExceptionBeforeSending()
    {
        var texts = new[] { "short", new string('x', 16_667) };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => KeyClient().TranslateAsync(texts, ["de", "fr", "es"], "en"));

        Assert.Contains("index 1", ex.Message);
        Assert.Contains("50000", ex.Message);
        Assert.Contains("16666", ex.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Translate_ServerRejectsOversizedRequest_Surfaces400077()
    {
        // The fake enforces limits on its own, so a client that failed to split would be caught here.
        _server.MaxElements = 10;
        var texts = Enumerable.Range(0, 25).Select(i => $"t{i}").ToList();

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => KeyClient().TranslateAsync(texts, ["de"]));

        Assert.Equal(400, ex.Status);
        Assert.Equal("400077", ex.ErrorCode);
        Assert.Contains("MaxElementsPerRequest", ex.Message);
    }

    [Fact]
    public async Task Translate_GlobalEndpoint_PostsToTranslatePathWithApiVersion()
    {
        await KeyClient().TranslateAsync(["hello"], ["de", "fr"], "en");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("api.cognitive.microsofttranslator.com", request.Host);
        Assert.Equal("/translate", request.Path);
        Assert.Equal("3.0", request.ApiVersion);
        Assert.Equal(["de", "fr"], request.To);
        Assert.Equal("en", request.From);
        Assert.False(string.IsNullOrEmpty(request.ClientTraceId));
    }

    [Fact]
    public async Task Translate_CustomDomain_PostsToTranslatorTextPath()
    {
        var results = await KeyClient(CustomDomain).TranslateAsync(["hello"], ["de"], "en");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("myreco.cognitiveservices.azure.com", request.Host);
        Assert.Equal("/translator/text/v3.0/translate", request.Path);
        Assert.Equal("[de] hello", results[0].Translations["de"]);
    }

    [Fact]
    public async Task Translate_KeyCredential_SendsKeyAndRegionHeaders()
    {
        await KeyClient().TranslateAsync(["hello"], ["de"], "en");

        var request = Assert.Single(_server.Requests);
        Assert.Equal(FakeTranslatorServer.Key, request.Key);
        Assert.Equal("westeurope", request.Region);
        Assert.Null(request.Authorization);
        Assert.Null(request.ResourceId);
    }

    [Fact]
    public async Task Translate_WrongKey_Surfaces401000WithoutRetrying()
    {
        var client = new TranslatorClient(TranslatorClient.GlobalEndpoint, new AzureKeyCredential("wrong"), _server.CreateOptions());

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => client.TranslateAsync(["hello"], ["de"]));

        Assert.Equal(401, ex.Status);
        Assert.Equal("401000", ex.ErrorCode);
        Assert.Contains("region", ex.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Translate_TokenCredentialOnGlobalEndpoint_SendsBearerResourceIdAndRegion()
    {
        var credential = new FixedTokenCredential();
        var options = _server.CreateOptions();
        options.Region = "westeurope";
        options.ResourceId = "/subscriptions/0000/resourceGroups/reco/providers/Microsoft.CognitiveServices/accounts/reco-translator";

        await new TranslatorClient(TranslatorClient.GlobalEndpoint, credential, options).TranslateAsync(["hello"], ["de"], "en");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer " + FakeTranslatorServer.Token, request.Authorization);
        Assert.Equal(options.ResourceId, request.ResourceId);
        Assert.Equal("westeurope", request.Region);
        Assert.Null(request.Key);
        Assert.Equal(["https://cognitiveservices.azure.com/.default"], credential.RequestedScopes.Distinct());
    }

    [Fact]
    public async Task Translate_TokenCredentialOnCustomDomain_SendsBearerOnly()
    {
        await new TranslatorClient(CustomDomain, new FixedTokenCredential(), _server.CreateOptions()).TranslateAsync(["hello"], ["de"], "en");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer " + FakeTranslatorServer.Token, request.Authorization);
        Assert.Null(request.ResourceId);
        Assert.Null(request.Key);
    }

    [Fact]
    public void Constructor_TokenCredentialOnGlobalEndpointWithoutResourceId_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new TranslatorClient(TranslatorClient.GlobalEndpoint, new FixedTokenCredential(), new TranslatorClientOptions { Region = "westeurope" }));

        Assert.Contains("ResourceId", ex.Message);
    }

    [Fact]
    public async Task Translate_ThrottledWithRetryAfter_RetriesAfterTheServerDelayAndSucceeds()
    {
        _server.FailNext(2, HttpStatusCode.TooManyRequests, 429001, "The server rejected the request because the client has exceeded request limits.", retryAfterSeconds: 1);

        var results = await KeyClient().TranslateAsync(["hello"], ["de"], "en");

        Assert.Equal("[de] hello", results[0].Translations["de"]);
        var requests = _server.Requests;
        Assert.Equal([429, 429, 200], requests.Select(r => r.Status));
        // Options ask for 10 ms delays capped at 100 ms, so these gaps can only come from Retry-After.
        for (var i = 1; i < requests.Count; i++)
            Assert.True(requests[i].At - requests[i - 1].At >= TimeSpan.FromMilliseconds(900), $"retry {i} came after {(requests[i].At - requests[i - 1].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Translate_PersistentThrottling_ThrowsRequestFailedExceptionWith429001AfterRetries()
    {
        _server.FailAlways(HttpStatusCode.TooManyRequests, 429001, "The server rejected the request because the client has exceeded request limits.", retryAfterSeconds: 1);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() =>
            KeyClient(configure: o => o.Retry.MaxRetries = 2).TranslateAsync(["hello"], ["de"], "en"));

        Assert.Equal(429, ex.Status);
        Assert.Equal("429001", ex.ErrorCode);
        Assert.Contains("exceeded request limits", ex.Message);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Translate_ServerErrorOnce_RetriesAndSucceeds()
    {
        _server.FailNext(1, HttpStatusCode.InternalServerError, 500000, "An unexpected error occurred.");

        var results = await KeyClient().TranslateAsync(["hello"], ["de"], "en");

        Assert.Equal("[de] hello", results[0].Translations["de"]);
        Assert.Equal([500, 200], _server.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Translate_InvalidTargetLanguage_Surfaces400036CodeMessageAndAdvice()
    {
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => KeyClient().TranslateAsync(["hello"], ["xx"], "en"));

        Assert.Equal(400, ex.Status);
        Assert.Equal("400036", ex.ErrorCode);
        Assert.Contains("The target language is not valid", ex.Message);
        Assert.Contains("target language codes", ex.Message);
        Assert.Contains("X-RequestId", ex.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Translate_ScriptedBadRequest_IsNotRetriedAndSurfacesServiceCode()
    {
        _server.FailNext(1, HttpStatusCode.BadRequest, 400035, "The source language is not valid.");

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => KeyClient().TranslateAsync(["hello"], ["de"], "en"));

        Assert.Equal("400035", ex.ErrorCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Translate_WithoutFrom_ParsesDetectedLanguage()
    {
        var results = await KeyClient().TranslateAsync(["hello", "world"], ["de"]);

        Assert.All(results, r =>
        {
            Assert.NotNull(r.DetectedLanguage);
            Assert.Equal("en", r.DetectedLanguage.Language);
            Assert.Equal(0.98f, r.DetectedLanguage.Score, 3);
        });
        Assert.Null(Assert.Single(_server.Requests).From);
    }

    [Fact]
    public async Task Translate_WithFrom_HasNoDetectedLanguage()
    {
        var results = await KeyClient().TranslateAsync(["hello"], ["de"], "en");

        Assert.Null(results[0].DetectedLanguage);
    }

    [Fact]
    public async Task Translate_EmptyInput_SendsNothing()
    {
        var results = await KeyClient().TranslateAsync([], ["de"]);

        Assert.Empty(results);
        Assert.Empty(_server.Requests);
    }

    private sealed class FixedTokenCredential : TokenCredential
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _scopes = new();

        public IEnumerable<string> RequestedScopes => _scopes;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
                _scopes.Enqueue(scope);
            return new AccessToken(FakeTranslatorServer.Token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
