using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

public sealed class TranslationCacheKeyTests
{
    [Fact]
    public void RowKey_SameSourceAndText_IsStable()
    {
        Assert.Equal(TranslationCache.RowKeyFor("en", "Red wool scarf"), TranslationCache.RowKeyFor("en", "Red wool scarf"));
        Assert.Equal(TranslationCache.RowKeyFor("en", "Red wool scarf"), TranslationCache.RowKeyFor("EN", "Red wool scarf"));
    }

    [Fact]
    public void RowKey_DifferentSourceLanguageOrText_Differs()
    {
        Assert.NotEqual(TranslationCache.RowKeyFor("en", "Gift"), TranslationCache.RowKeyFor("de", "Gift"));
        Assert.NotEqual(TranslationCache.RowKeyFor("en", "Gift"), TranslationCache.RowKeyFor(TranslationCache.AutoDetectSource, "Gift"));
        Assert.NotEqual(TranslationCache.RowKeyFor("en", "Gift"), TranslationCache.RowKeyFor("en", "gift"));
    }

    [Theory]
    [InlineData("Red wool scarf")]
    [InlineData("path/with\\slashes#and?question\tmarks")]
    [InlineData("")]
    [InlineData("日本語のタイトル 🎁")]
    public void RowKey_IsHexSha256WithoutTheText(string text)
    {
        var key = TranslationCache.RowKeyFor("en", text);

        Assert.Matches("^[0-9a-f]{64}$", key);
        if (text.Length > 0)
            Assert.DoesNotContain(text, key);
    }

    [Theory]
    [InlineData("de", "de")]
    [InlineData("zh-Hans", "zh-hans")]
    [InlineData(" PT-BR ", "pt-br")]
    public void PartitionKey_IsLowerCaseLanguageTag(string language, string expected) =>
        Assert.Equal(expected, TranslationCache.PartitionKeyFor(language));

    [Theory]
    [InlineData("")]
    [InlineData("d")]
    [InlineData("de/fr")]
    [InlineData("de#1")]
    [InlineData("english language")]
    public void PartitionKey_RejectsNonLanguageTags(string language) =>
        Assert.Throws<ArgumentException>(() => TranslationCache.PartitionKeyFor(language));
}
