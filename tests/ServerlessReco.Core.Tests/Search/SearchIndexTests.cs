using ServerlessReco.Domain;
using ServerlessReco.Search;

namespace ServerlessReco.Tests.Search;

public class SearchIndexTests
{
    private static readonly CatalogItem[] Items =
    [
        new() { Id = "heart", Title = "WHITE HANGING HEART T-LIGHT HOLDER", Titles = new() { ["de"] = "Weißer hängender Herz-Teelichthalter", ["ja"] = "白いハート型キャンドルホルダー" } },
        new() { Id = "umbrella", Title = "RED RETROSPOT UMBRELLA", Titles = new() { ["de"] = "Roter Regenschirm mit Punkten" } },
        new() { Id = "lantern", Title = "WHITE METAL LANTERN" },
        new() { Id = "mug", Title = "CERAMIC COFFEE MUG", Titles = new() { ["fr"] = "Tasse à café en céramique" } },
    ];

    private static SearchIndex Open(float[]? embeddings = null) =>
        SearchIndex.Open(SearchIndex.Build(Items, "v1", DateTimeOffset.UnixEpoch, embeddings,
            embeddings is null ? null : new ServerlessReco.Embed.EncoderIdentity("test", "00", "mean", true, 8), embeddings is null ? 0 : 2));

    private static string[] Lexical(SearchIndex index, string query) => [.. index.Lexical(query, 10).Rows.Select(r => index.ItemIds[r])];

    [Fact]
    public void Each_language_gets_its_own_field()
    {
        var artifacts = SearchIndex.Build(Items, "v1", DateTimeOffset.UnixEpoch);
        Assert.Equal(["lang.de", "lang.en", "lang.fr", "lang.ja"], artifacts.Manifest.LanguageFields);
        Assert.Equal(["de", "en", "fr", "ja"], artifacts.Manifest.Languages);
        Assert.Null(artifacts.Manifest.Encoder);
    }

    [Theory]
    [InlineData("hanging heart", "heart")]
    [InlineData("hangng haert", "heart")]
    [InlineData("umbrellas", "umbrella")]
    [InlineData("regenschirme", "umbrella")]
    [InlineData("teelichthalter", "heart")]
    [InlineData("tasses café", "mug")]
    [InlineData("ハート", "heart")]
    [InlineData("lantrn", "lantern")]
    public void Words_stems_typos_and_other_languages_find_the_item(string query, string expected) =>
        Assert.Equal(expected, Lexical(Open(), query).First());

    [Fact]
    public void A_query_of_stop_words_or_unknown_words_finds_nothing()
    {
        var index = Open();
        Assert.Empty(Lexical(index, "the"));
        Assert.Empty(Lexical(index, "xylophone"));
    }

    [Fact]
    public void Semantic_ranks_by_cosine_and_skips_items_without_an_embedding()
    {
        // heart (1,0), umbrella (0,1), lantern: none, mug (0.6,0.8).
        var index = Open([1, 0, 0, 1, 0, 0, 0.6f, 0.8f]);
        var (rows, scores) = index.Semantic([0, 1], 10);

        Assert.Equal(["umbrella", "mug", "heart"], rows.Select(r => index.ItemIds[r]));
        Assert.Equal(0.8f, scores[1], 5);
    }
}
