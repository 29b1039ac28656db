using System.Numerics.Tensors;
using ServerlessReco.Embed;
using ServerlessReco.Evaluate;

namespace ServerlessReco.Tests.Embed;

/// <summary>
/// The parallel catalogue (16 products x 8 languages) through the fixture encoders and the nearest-neighbour
/// check. The fixtures have random weights, so only the plumbing is asserted here; the semantic check (top-1
/// cross-lingual match rate near 1) is for a real model, see README "Multilingual" and `./reco bench embed --model`.
/// </summary>
public class CrossLingualPlumbingTests
{
    private sealed record Row(string ItemId, string Language, string Title)
    {
        public string RowId => $"{ItemId}-{Language}";
    }

    private static List<Row> Catalogue() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "catalog-multilingual.tsv"))
            .Skip(1)
            .Where(line => line.Length > 0)
            .Select(line => line.Split('\t'))
            .Select(c => new Row(c[0], c[2], c[3]))
            .ToList();

    [Theory]
    [InlineData(EncoderFixtures.Bert)]
    [InlineData(EncoderFixtures.Xlmr)]
    public void Every_title_in_every_language_is_embedded_deterministically_and_normalised(string fixture)
    {
        var rows = Catalogue();
        Assert.Equal(128, rows.Count);
        Assert.Equal(128, rows.Select(r => r.RowId).Distinct().Count());
        using var encoder = TextEncoder.Load(EncoderFixtures.Folder(fixture), EncoderFixtures.Config(fixture));
        var titles = rows.Select(r => r.Title).ToList();

        float[] first = encoder.Embed(titles, batchSize: 16);
        float[] again = encoder.Embed(titles, batchSize: 16);
        float[] otherBatching = encoder.Embed(titles, batchSize: 5);

        int d = encoder.Dimension;
        Assert.Equal(rows.Count * d, first.Length);
        Assert.Equal(first, again);
        EncoderFixtures.AssertClose(first, otherBatching, 1e-5f, "batch size 5 vs 16");
        for (int r = 0; r < rows.Count; r++)
        {
            ReadOnlySpan<float> row = first.AsSpan(r * d, d);
            Assert.True(row.ContainsAnyExcept(0f), $"{rows[r].RowId} is all zeros");
            Assert.InRange(TensorPrimitives.Norm(row), 0.9999f, 1.0001f);
        }
    }

    [Theory]
    [InlineData(EncoderFixtures.Bert)]
    [InlineData(EncoderFixtures.Xlmr)]
    public void Nearest_neighbours_run_over_the_parallel_catalogue(string fixture)
    {
        var rows = Catalogue();
        using var encoder = TextEncoder.Load(EncoderFixtures.Folder(fixture), EncoderFixtures.Config(fixture));
        float[] embeddings = encoder.Embed(rows.Select(r => r.Title).ToList());

        int[] nearest = CrossLingualMatch.NearestNeighbours(embeddings, encoder.Dimension);
        double rate = CrossLingualMatch.Top1Rate(embeddings, encoder.Dimension, rows.Select(r => r.ItemId).ToList());

        Assert.Equal(rows.Count, nearest.Length);
        for (int r = 0; r < nearest.Length; r++)
            Assert.True(nearest[r] >= 0 && nearest[r] < rows.Count && nearest[r] != r, $"row {r} -> {nearest[r]}");
        // Random weights: any rate is possible, the value only has to be a rate.
        Assert.InRange(rate, 0, 1);
    }

    [Fact]
    public void Top1_rate_is_one_when_translations_are_closest_and_low_when_labels_do_not_match()
    {
        var random = new Random(7);
        int products = 16, languages = 8, d = 24;
        var embeddings = new float[products * languages * d];
        var groups = new List<string>();
        var languageLabels = new List<string>();
        var centre = new float[d];
        for (int p = 0; p < products; p++)
        {
            for (int i = 0; i < d; i++) centre[i] = (float)(random.NextDouble() * 2 - 1);
            for (int l = 0; l < languages; l++)
            {
                Span<float> row = embeddings.AsSpan((p * languages + l) * d, d);
                for (int i = 0; i < d; i++) row[i] = centre[i] + 0.01f * (float)(random.NextDouble() * 2 - 1);
                TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
                groups.Add($"p{p:D3}");
                languageLabels.Add($"lang{l}");
            }
        }

        Assert.Equal(1.0, CrossLingualMatch.Top1Rate(embeddings, d, groups));
        // Labelled by language instead of product, every nearest neighbour (a translation) is a miss.
        Assert.Equal(0.0, CrossLingualMatch.Top1Rate(embeddings, d, languageLabels));
    }
}
