using System.Text.Json;
using ServerlessReco.Ingest;

namespace ServerlessReco.Tests.Ingest;

public class ItemValidatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static ItemValidation Check(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ItemValidator.Validate(document.RootElement, Now);
    }

    private static (ItemPatch? Patch, Dictionary<string, string[]>? Errors) Patch(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ItemValidator.ValidatePatch(document.RootElement);
    }

    [Fact]
    public void Valid_item_is_normalised()
    {
        var result = Check("""{"id":"85123A","category":"home","sourceLanguage":"en","title":"WHITE HANGING HEART T-LIGHT HOLDER","description":"Line one\nline two","markets":["gb","DE","GB"],"inStock":false,"prices":{"gb":2.55,"DE":2.99}}""");
        Assert.Null(result.Errors);
        var item = result.Item!;
        Assert.Equal(["GB", "DE"], item.Markets);
        Assert.False(item.InStock);
        Assert.Equal(2.55m, item.Prices!["GB"]);
        Assert.Equal(Now, item.UpdatedAt);
    }

    [Fact]
    public void Every_field_is_checked_on_its_own()
    {
        var result = Check("""{"id":"a\u0001","sourceLanguage":"en_GB","title":"","markets":["XX"],"inStock":"yes","prices":{"DE":-1,"QQ":1}}""");
        Assert.Equal(["id", "inStock", "markets", "prices", "sourceLanguage", "title"], result.Errors!.Keys.Order());
        Assert.Equal(2, result.Errors["prices"].Length);
    }

    [Fact]
    public void Description_may_hold_line_breaks_but_no_other_controls()
    {
        Assert.Null(Check("""{"id":"a","sourceLanguage":"en","title":"t","description":"a\tb\r\nc","markets":["DE"]}""").Errors);
        Assert.True(Check("""{"id":"a","sourceLanguage":"en","title":"t","description":"a\u0007b","markets":["DE"]}""").Errors!.ContainsKey("description"));
    }

    [Fact]
    public void Markets_are_required()
    {
        Assert.True(Check("""{"id":"a","sourceLanguage":"en","title":"t"}""").Errors!.ContainsKey("markets"));
        Assert.True(Check("""{"id":"a","sourceLanguage":"en","title":"t","markets":"DE"}""").Errors!.ContainsKey("markets"));
        Assert.True(Check("""{"id":"a","sourceLanguage":"en","title":"t","markets":[]}""").Errors!.ContainsKey("markets"));
    }

    [Theory]
    [InlineData("english", false)]
    [InlineData("Deutsch", false)]
    [InlineData("en", true)]
    [InlineData("zh-Hans-CN", true)]
    [InlineData("gsw", true)]
    public void Source_language_is_a_bcp47_code_not_a_language_name(string language, bool valid)
    {
        var result = Check($$"""{"id":"a","sourceLanguage":"{{language}}","title":"t","markets":["DE"]}""");
        Assert.Equal(valid, result.Errors is null);
    }

    [Fact]
    public void Patch_edits_stock_and_markets()
    {
        var (patch, errors) = Patch("""{"inStock":false,"addMarkets":["fr"],"removeMarkets":["GB"]}""");
        Assert.Null(errors);
        var item = new ServerlessReco.Domain.CatalogItem { Id = "a", Markets = ["GB", "DE"], InStock = true };
        var changed = patch!.ApplyTo(item, Now);
        Assert.False(changed.InStock);
        Assert.Equal(["DE", "FR"], changed.Markets);
    }

    [Theory]
    [InlineData("""{}""", "$")]
    [InlineData("""{"inStock":"no"}""", "inStock")]
    [InlineData("""{"markets":["DE"],"addMarkets":["FR"]}""", "markets")]
    [InlineData("""{"addMarkets":["FR"],"removeMarkets":["FR"]}""", "addMarkets")]
    [InlineData("""{"removeMarkets":["XX"]}""", "removeMarkets")]
    [InlineData("""{"title":"new"}""", "title")]
    [InlineData("""[]""", "$")]
    public void Invalid_patches_name_the_field(string json, string field) => Assert.True(Patch(json).Errors!.ContainsKey(field));
}
