using System.Security.Cryptography;
using System.Text;
using ServerlessReco.Domain;

namespace ServerlessReco.Tests.Domain;

public class ShopperTokensTests
{
    private const string Secret = "a-test-secret-of-at-least-32-characters!";
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly ShopperTokens Tokens = new(Secret, new FixedTime(Now));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static string Bearer(string token) => "Bearer " + token;

    [Fact]
    public void A_token_is_what_the_documented_recipe_gives_so_any_back_end_can_mint_it()
    {
        var expires = Now.AddHours(1);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{expires.ToUnixTimeSeconds()}.14911"));
        var recipe = $"{expires.ToUnixTimeSeconds()}.{Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";

        Assert.Equal(recipe, Tokens.Mint("14911", expires));
        Assert.Equal(ShopperTokenCheck.Valid, Tokens.Check(Bearer(recipe), "14911"));
        Assert.Equal(ShopperTokenCheck.Valid, Tokens.Check("bearer  " + recipe + " ", "14911"));
    }

    [Fact]
    public void A_token_opens_only_its_own_shoppers_recommendations()
    {
        var token = Tokens.Mint("14911", Now.AddHours(1));
        Assert.Equal(ShopperTokenCheck.OtherShopper, Tokens.Check(Bearer(token), "14912"));
        Assert.Equal(ShopperTokenCheck.OtherShopper, Tokens.Check(Bearer(token), "14911 "));
        var otherSecret = new ShopperTokens(Secret + "x", new FixedTime(Now));
        Assert.Equal(ShopperTokenCheck.OtherShopper, otherSecret.Check(Bearer(token), "14911"));
    }

    [Fact]
    public void An_expired_token_is_refused_even_with_a_correct_mac()
    {
        Assert.Equal(ShopperTokenCheck.Expired, Tokens.Check(Bearer(Tokens.Mint("u", Now)), "u"));
        Assert.Equal(ShopperTokenCheck.Expired, Tokens.Check(Bearer(Tokens.Mint("u", Now.AddDays(-1))), "u"));
        Assert.Equal(ShopperTokenCheck.Valid, Tokens.Check(Bearer(Tokens.Mint("u", Now.AddSeconds(1))), "u"));
    }

    [Theory]
    [InlineData(null, ShopperTokenCheck.Missing)]
    [InlineData("", ShopperTokenCheck.Missing)]
    [InlineData("Basic dXNlcjpwYXNz", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer nodot", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer .abc", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer -5.abc", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer 99999999999999999999999.abc", ShopperTokenCheck.Malformed)]
    [InlineData("Bearer 4102444800.", ShopperTokenCheck.OtherShopper)]
    [InlineData("Bearer 4102444800.ünïcödé", ShopperTokenCheck.OtherShopper)]
    public void Anything_but_a_minted_token_is_refused(string? authorization, ShopperTokenCheck expected) =>
        Assert.Equal(expected, Tokens.Check(authorization, "u"));

    [Fact]
    public void A_long_token_is_refused_without_overrunning_anything() =>
        Assert.Equal(ShopperTokenCheck.Malformed, Tokens.Check("Bearer 4102444800." + new string('A', 10_000), "u"));

    [Fact]
    public void A_short_secret_is_refused_and_none_means_the_development_secret()
    {
        Assert.Throws<ArgumentException>(() => new ShopperTokens("too short", TimeProvider.System));
        var development = new ShopperTokens(ShopperTokens.DevelopmentSecret, new FixedTime(Now));
        Assert.Equal(development.Mint("u", Now.AddHours(1)), ShopperTokens.ForSecret(null, new FixedTime(Now)).Mint("u", Now.AddHours(1)));
    }
}
