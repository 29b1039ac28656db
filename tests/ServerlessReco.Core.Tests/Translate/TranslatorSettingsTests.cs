using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

public sealed class TranslatorSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void From_NoKey_IsDisabledWithReason()
    {
        var settings = TranslatorSettings.From(Env(("TRANSLATOR_ENDPOINT", "https://x.cognitiveservices.azure.com")), out var reason);

        Assert.Null(settings);
        Assert.Equal("translation disabled: TRANSLATOR_KEY not set", reason);
    }

    [Fact]
    public void From_KeyOnly_UsesGlobalEndpointAndNoRegion()
    {
        var settings = TranslatorSettings.From(Env(("TRANSLATOR_KEY", "k")), out var reason);

        Assert.NotNull(settings);
        Assert.Null(reason);
        Assert.Equal(TranslatorClient.GlobalEndpoint, settings.Endpoint);
        Assert.Null(settings.Region);
    }

    [Fact]
    public void From_AllSet_CreatesClientForThatEndpoint()
    {
        var settings = TranslatorSettings.From(
            Env(("TRANSLATOR_KEY", "k"), ("TRANSLATOR_ENDPOINT", "https://reco.cognitiveservices.azure.com/"), ("TRANSLATOR_REGION", "westeurope")),
            out _);

        Assert.NotNull(settings);
        Assert.Equal("westeurope", settings.Region);
        Assert.Equal(new Uri("https://reco.cognitiveservices.azure.com/"), settings.CreateClient().Endpoint);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("http://api.cognitive.microsofttranslator.com")]
    public void From_BadEndpoint_IsDisabledWithReason(string endpoint)
    {
        var settings = TranslatorSettings.From(Env(("TRANSLATOR_KEY", "k"), ("TRANSLATOR_ENDPOINT", endpoint)), out var reason);

        Assert.Null(settings);
        Assert.Contains("TRANSLATOR_ENDPOINT", reason);
    }
}
