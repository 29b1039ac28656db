using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

public sealed class TranslatorSettingsTests
{
    [Fact]
    public void From_NoKey_IsDisabledWithReason()
    {
        var settings = TranslatorSettings.From(key: null, endpoint: "https://x.cognitiveservices.azure.com", region: null, out var reason);

        Assert.Null(settings);
        Assert.Equal("translation disabled: TRANSLATOR_KEY not set", reason);
    }

    [Fact]
    public void From_KeyOnly_UsesGlobalEndpointAndNoRegion()
    {
        var settings = TranslatorSettings.From(key: "k", endpoint: null, region: null, out var reason);

        Assert.NotNull(settings);
        Assert.Null(reason);
        Assert.Equal(TranslatorClient.GlobalEndpoint, settings.Endpoint);
        Assert.Null(settings.Region);
    }

    [Fact]
    public void From_AllSet_CreatesClientForThatEndpoint()
    {
        var settings = TranslatorSettings.From(key: "k", endpoint: "https://reco.cognitiveservices.azure.com/", region: "westeurope", out _);

        Assert.NotNull(settings);
        Assert.Equal("westeurope", settings.Region);
        Assert.Equal(new Uri("https://reco.cognitiveservices.azure.com/"), settings.CreateClient().Endpoint);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("http://api.cognitive.microsofttranslator.com")]
    public void From_BadEndpoint_IsDisabledWithReason(string endpoint)
    {
        var settings = TranslatorSettings.From(key: "k", endpoint, region: null, out var reason);

        Assert.Null(settings);
        Assert.Contains("TRANSLATOR_ENDPOINT", reason);
    }
}
