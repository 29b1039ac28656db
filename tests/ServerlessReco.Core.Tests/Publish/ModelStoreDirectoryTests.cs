using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Publish;

/// <summary>The directory store data teams use; the same behaviour on azurite is covered by the integration tests.</summary>
public sealed class ModelStoreDirectoryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "reco-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    public static ModelArtifacts SmallModel(string version) => new()
    {
        Manifest = new ModelManifest { Version = version, CreatedAt = DateTimeOffset.UnixEpoch, TrainedUntil = DateTimeOffset.UnixEpoch, Training = new() { Als = new() { Factors = 2 } } },
        UserIds = ["u1", "u2", "u3"],
        ItemIds = ["a", "b"],
        UserFactors = [1, 2, 3, 4, 5, 6],
        ItemFactors = [0.5f, -0.5f, 0.25f, 1],
        PopularityMarkets = ["*", "DE"],
        Popularity = [0.6f, 0.4f, 0.1f, 0.9f],
        ItemCategories = ["lamps", ""],
        PurchasePointers = [0, 1, 1, 3],
        PurchaseItems = [1, 0, 1],
    };

    [Fact]
    public async Task A_version_round_trips_and_publishing_points_current_at_it()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        var manifest = await store.Models.WriteVersionAsync(SmallModel("v1"));
        Assert.Equal(9, manifest.Files.Count);
        var current = await store.Models.PublishAsync("v1");
        Assert.Equal("v1", (await store.Models.ReadCurrentAsync())!.Version);
        Assert.Equal(64, current.ManifestSha256.Length);
        var loaded = await store.Models.LoadAsync("v1");
        Assert.Equal(SmallModel("v1").ItemFactors, loaded.ItemFactors);
        Assert.Equal(["lamps", ""], loaded.ItemCategories);
        Assert.Equal(0.9f, loaded.PopularityRow(1)[1]);
        Assert.Equal([0, 1], loaded.PurchasesOf(2).ToArray());
        Assert.Empty(loaded.PurchasesOf(1).ToArray());
    }

    [Fact]
    public async Task A_corrupted_file_fails_its_checksum_and_is_not_published()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await store.Models.WriteVersionAsync(SmallModel("v1"));
        var path = Path.Combine(_root, "models", "v1", "item_factors.npy");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);
        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.PublishAsync("v1"));
        Assert.Contains("item_factors.npy", error.Message);
        Assert.Contains("sha256", error.Message);
        Assert.Null(await store.Models.ReadCurrentAsync());
    }

    [Fact]
    public async Task A_file_longer_than_its_manifest_entry_or_missing_is_refused_by_name()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await store.Models.WriteVersionAsync(SmallModel("v1"));
        var ids = Path.Combine(_root, "models", "v1", "item_ids.txt");
        await File.AppendAllTextAsync(ids, "c\n");
        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.LoadAsync("v1"));
        Assert.Contains("item_ids.txt: the file goes on past", error.Message);

        File.Delete(ids);
        error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.LoadAsync("v1"));
        Assert.Contains("item_ids.txt is listed in the manifest but missing", error.Message);
    }

    [Fact]
    public async Task A_manifest_with_an_impossible_size_is_refused_before_anything_is_allocated()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        var manifest = await store.Models.WriteVersionAsync(SmallModel("v1"));
        var edited = manifest with { Files = new(manifest.Files) { ["user_ids.txt"] = manifest.Files["user_ids.txt"] with { Bytes = -1 } } };
        await File.WriteAllBytesAsync(Path.Combine(_root, "models", "v1", "manifest.json"),
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(edited, PublishJsonContext.Default.ModelManifest));
        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.LoadAsync("v1"));
        Assert.Contains("gives user_ids.txt a size of -1 bytes", error.Message);
    }

    [Theory]
    [InlineData("als", "alpha")]
    [InlineData("interactions", "halfLifeDays")]
    [InlineData("weights", "purchase")]
    public async Task A_manifest_missing_a_training_parameter_is_refused_naming_it(string parent, string field)
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await store.Models.WriteVersionAsync(SmallModel("v1"));
        var path = Path.Combine(_root, "models", "v1", "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        var training = manifest["training"]!;
        var owner = parent switch { "als" => training["als"], "interactions" => training["interactions"], _ => training["interactions"]!["weights"] };
        Assert.True(owner!.AsObject().Remove(field));
        await File.WriteAllTextAsync(path, manifest.ToJsonString());

        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.LoadAsync("v1"));

        Assert.Contains("v1", error.Message);
        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public async Task A_manifest_with_a_negative_alpha_is_refused()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await store.Models.WriteVersionAsync(SmallModel("v1"));
        var path = Path.Combine(_root, "models", "v1", "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        manifest["training"]!["als"]!["alpha"] = -1;
        await File.WriteAllTextAsync(path, manifest.ToJsonString());

        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.LoadAsync("v1"));

        Assert.Contains("Alpha", error.Message);
    }

    [Fact]
    public async Task Versions_are_immutable()
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await store.Models.WriteVersionAsync(SmallModel("v1"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Models.WriteVersionAsync(SmallModel("v1")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task Version_names_that_could_escape_the_container_are_refused(string version)
    {
        var store = DataStore.Open("dir:" + _root, configuredConnection: null, prefix: "");
        await Assert.ThrowsAsync<ArgumentException>(() => store.Models.LoadAsync(version));
    }
}
