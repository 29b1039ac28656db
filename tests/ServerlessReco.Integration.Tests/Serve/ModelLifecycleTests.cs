using System.Net;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

public class ModelLifecycleTests
{
    [Fact]
    public async Task Before_any_model_the_read_endpoints_answer_503_and_health_says_so()
    {
        var store = TestStorage.NewStore();
        await using var handler = await StartAsync(store, waitForVersion: null);

        foreach (var path in new[] { "/api/recommendations/alice?market=DE", "/api/items/K1/similar?market=DE", "/api/popular?market=DE" })
        {
            var problem = await GetJsonAsync(handler, path, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("no model published yet", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        var health = await GetJsonAsync(handler, "/api/health");
        Assert.Equal("no-model", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("storageReachable").GetBoolean());
    }

    [Fact]
    public async Task A_new_version_is_swapped_in_and_a_corrupt_one_is_refused()
    {
        var store = await PublishedStoreAsync("v1");
        await using var handler = await StartAsync(store);

        await PublishAsync(store, "v2");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string? served;
        do
        {
            served = (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=1")).GetProperty("modelVersion").GetString();
            if (served == "v2") break;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal("v2", served);

        // v3 is written correctly, then one byte of its item factors changes, and current.json is pointed at it
        // directly (PublishAsync would refuse to).
        await store.Models.WriteVersionAsync(Model("v3"));
        var bytes = (await store.Blobs.GetAsync(Containers.Models, "v3/item_factors.npy"))!.ToArray();
        bytes[^1] ^= 0x5A;
        await store.Blobs.PutAsync(Containers.Models, "v3/item_factors.npy", new BinaryData(bytes), overwrite: true);
        // The manifest is intact, so the refusal is the file's own hash.
        var manifestSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData((await store.Blobs.GetAsync(Containers.Models, "v3/manifest.json"))!.ToArray()));
        var current = new CurrentModel("v3", DateTimeOffset.UtcNow, manifestSha);
        await store.Blobs.PutAsync(Containers.Models, ModelStore.CurrentPath,
            new BinaryData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(current, PublishJsonContext.Default.CurrentModel)), overwrite: true);

        var health = await WaitForAsync(handler, h => h.GetProperty("lastModelError").ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Contains("v3", health.GetProperty("lastModelError").GetString());
        Assert.Contains("sha256", health.GetProperty("lastModelError").GetString());
        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Equal("v2", health.GetProperty("modelVersion").GetString());
        var answer = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=1");
        Assert.Equal("v2", answer.GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task A_version_whose_manifest_lacks_the_interaction_strength_is_refused_by_name_and_the_current_one_keeps_serving()
    {
        var store = await PublishedStoreAsync("v1");
        await using var handler = await StartAsync(store);
        Assert.Equal("v1", (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=1")).GetProperty("modelVersion").GetString());

        // v2 as an older train job would have written it: no event weights and decay for fold-in to use.
        await store.Models.WriteVersionAsync(Model("v2"));
        var manifest = System.Text.Json.Nodes.JsonNode.Parse((await store.Blobs.GetAsync(Containers.Models, "v2/manifest.json"))!.ToString())!;
        manifest["training"]!.AsObject().Remove("interactions");
        var bytes = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
        await store.Blobs.PutAsync(Containers.Models, "v2/manifest.json", new BinaryData(bytes), overwrite: true);
        var current = new CurrentModel("v2", DateTimeOffset.UtcNow, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        await store.Blobs.PutAsync(Containers.Models, ModelStore.CurrentPath,
            new BinaryData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(current, PublishJsonContext.Default.CurrentModel)), overwrite: true);

        var health = await WaitForAsync(handler, h => h.GetProperty("lastModelError").ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Contains("v2", health.GetProperty("lastModelError").GetString());
        Assert.Contains("interactions", health.GetProperty("lastModelError").GetString());
        Assert.Equal("v1", (await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=1")).GetProperty("modelVersion").GetString());
        await Assert.ThrowsAsync<ModelIntegrityException>(() => store.Models.PublishAsync("v2"));
    }

    [Fact]
    public async Task Health_reports_model_age_counts_and_storage()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var health = await GetJsonAsync(handler, "/api/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal(3, health.GetProperty("counts").GetProperty("users").GetInt32());
        Assert.Equal(ItemIds.Length, health.GetProperty("counts").GetProperty("items").GetInt32());
        Assert.Equal(ItemIds.Length, health.GetProperty("counts").GetProperty("catalogueItems").GetInt32());
        Assert.True(health.GetProperty("modelAge").GetDouble() >= 0);
        Assert.True(health.TryGetProperty("trainedUntil", out _));
        Assert.True(health.GetProperty("storageReachable").GetBoolean());
    }
}
