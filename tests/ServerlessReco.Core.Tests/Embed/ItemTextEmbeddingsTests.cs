using System.Numerics.Tensors;
using ServerlessReco.Domain;
using ServerlessReco.Embed;

namespace ServerlessReco.Tests.Embed;

public class ItemTextEmbeddingsTests
{
    [Fact]
    public void Texts_are_the_source_title_then_distinct_non_blank_translations()
    {
        var item = new CatalogItem
        {
            Id = "p1",
            Title = "Running shoes",
            Titles = new() { ["fr"] = "Chaussures de course", ["de"] = "Laufschuhe", ["en-GB"] = "Running shoes", ["it"] = " " },
        };

        Assert.Equal(["Running shoes", "Laufschuhe", "Chaussures de course"], ItemTextEmbeddings.TextsOf(item));
        Assert.Empty(ItemTextEmbeddings.TextsOf(new CatalogItem { Id = "p2" }));
    }

    [Fact]
    public void Combine_averages_normalised_rows_and_renormalises()
    {
        // Row 0 is long and row 1 short: normalising first gives both the same weight.
        float[] texts = [10, 0, 0, 0, 0.5f, 0];
        var result = new float[3];

        ItemTextEmbeddings.Combine(texts, 3, [0, 1], result);

        Assert.Equal(MathF.Sqrt(0.5f), result[0], 5);
        Assert.Equal(MathF.Sqrt(0.5f), result[1], 5);
        Assert.Equal(1f, TensorPrimitives.Norm(result), 5);

        ItemTextEmbeddings.Combine(texts, 3, [], result);
        Assert.Equal([0f, 0f, 0f], result);
    }
}
