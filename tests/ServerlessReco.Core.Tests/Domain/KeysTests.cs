using ServerlessReco.Domain;

namespace ServerlessReco.Tests.Domain;

public class KeysTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("a/b\\c#d?e")]
    [InlineData("tab\there")]
    [InlineData("Ünïcödé 日本語")]
    public void Table_key_encoding_is_reversible_and_uses_only_allowed_characters(string id)
    {
        var key = TableKeys.Encode(id);
        Assert.All(key, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' in {key}"));
        Assert.Equal(id, TableKeys.Decode(key));
    }

    [Fact]
    public void Newest_first_keys_sort_later_events_before_earlier_ones()
    {
        var earlier = TableKeys.NewestFirst(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var later = TableKeys.NewestFirst(new DateTimeOffset(2024, 1, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.True(string.CompareOrdinal(later, earlier) < 0);
        Assert.Equal(earlier.Length, later.Length);
    }

    [Fact]
    public void Pseudonyms_are_stable_per_key_differ_across_keys_and_hide_the_id()
    {
        var a = new Pseudonymizer("key-one-0123456789");
        var b = new Pseudonymizer("key-two-0123456789");
        Assert.Equal(a.Pseudonymize("17850"), a.Pseudonymize("17850"));
        Assert.NotEqual(a.Pseudonymize("17850"), b.Pseudonymize("17850"));
        Assert.NotEqual(a.Pseudonymize("17850"), a.Pseudonymize("17851"));
        Assert.Matches("^[0-9a-f]{32}$", a.Pseudonymize("a/b#c?"));
        Assert.Throws<ArgumentException>(() => new Pseudonymizer("short"));
    }

    [Fact]
    public void Online_retail_country_names_map_explicitly()
    {
        Assert.True(CountryNames.TryMap("EIRE", out var ie));
        Assert.Equal("IE", ie);
        Assert.True(CountryNames.TryMap("RSA", out var za));
        Assert.Equal("ZA", za);
        Assert.True(CountryNames.TryMap("USA", out var us));
        Assert.Equal("US", us);
        Assert.False(CountryNames.TryMap("Atlantis", out _));
        Assert.All(new[] { "GB", "IE", "ZA", "US", "JP" }, c => Assert.True(Markets.IsKnown(c)));
    }
}
