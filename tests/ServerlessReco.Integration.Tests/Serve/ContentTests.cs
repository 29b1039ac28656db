using ServerlessReco.Domain;
using ServerlessReco.Publish;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>
/// A model with content embeddings and one cold item (text, predicted factors, no interactions), as
/// embed-items writes it: the cold item is recommendable and has look-alikes by content.
/// </summary>
public class ContentTests
{
    private const string Cold = "NEW1";

    /// <summary>ServeWorld's model plus item NEW1: factors predicted along the garden axis, embedding next to G1's, zero popularity.</summary>
    private static ModelArtifacts WithColdItem(string version)
    {
        var model = Model(version);
        int n = model.ItemCount, d = 8;
        var ids = model.ItemIds.Append(Cold).ToArray();
        var factors = model.ItemFactors.Concat(new float[] { 0, 2.5f, 0, 0 }).ToArray();
        var embeddings = new float[(n + 1) * d];
        for (int i = 0; i < n; i++) embeddings[i * d + (i % d)] = 1;
        int g1 = Array.IndexOf(ids, "G1");
        // NEW1 reads almost like G1; K1 shares the same text direction with G1 too, but less.
        embeddings[n * d + (g1 % d)] = 0.95f;
        embeddings[n * d + ((g1 + 1) % d)] = 0.05f;
        var popularity = new float[model.PopularityMarkets.Length * (n + 1)];
        for (int m = 0; m < model.PopularityMarkets.Length; m++)
            model.PopularityRow(m).CopyTo(popularity.AsSpan(m * (n + 1), n));
        return new ModelArtifacts
        {
            Manifest = model.Manifest with { Encoder = new ServerlessReco.Embed.EncoderIdentity("test-encoder", "0123456789ab", "mean", true, 32) },
            UserIds = model.UserIds,
            ItemIds = ids,
            UserFactors = model.UserFactors,
            ItemFactors = factors,
            PopularityMarkets = model.PopularityMarkets,
            Popularity = popularity,
            ItemCategories = [.. model.ItemCategories, "garden"],
            ItemEmbeddings = embeddings,
            EmbeddingDimension = d,
            PurchasePointers = model.PurchasePointers,
            PurchaseItems = model.PurchaseItems,
        };
    }

    private static async Task<RunningHandler> StartAsync()
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync([.. ServeWorld.Catalog(), new CatalogItem { Id = Cold, Category = "garden", Title = "New garden hose", Markets = ["DE"], UpdatedAt = DateTimeOffset.UtcNow }]);
        await store.Models.WriteVersionAsync(WithColdItem("c1"));
        await store.Models.PublishAsync("c1");
        return await ServeWorld.StartAsync(store, "c1");
    }

    [Fact]
    public async Task A_cold_item_is_similar_by_content_alone_and_recommended_from_its_predicted_factors()
    {
        await using var handler = await StartAsync();
        var similar = await GetJsonAsync(handler, $"/api/items/{Cold}/similar?market=DE&count=3");
        Assert.Equal("G1", ItemsOf(similar)[0]);

        var forBob = ItemsOf(await GetJsonAsync(handler, "/api/recommendations/bob?market=DE&count=3"));
        Assert.Equal(Cold, forBob[0]);
    }

    [Fact]
    public async Task Similar_items_of_a_warm_item_blend_content_into_behaviour()
    {
        await using var handler = await StartAsync();
        // By behaviour alone G1's neighbours are the other garden items; content pulls the cold look-alike in.
        var similar = ItemsOf(await GetJsonAsync(handler, "/api/items/G1/similar?market=DE&count=3"));
        Assert.Contains(Cold, similar);
        Assert.All(similar, i => Assert.True(i == Cold || i.StartsWith('G'), i));
    }
}
