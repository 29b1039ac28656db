using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace ServerlessReco.Storage;

/// <param name="prefix">Prepended to every container name: several environments (or test runs) can share one account.</param>
public sealed class AzureBlobStore(BlobServiceClient service, string prefix = "") : IBlobStore
{
    private readonly ConcurrentDictionary<string, (BlobContainerClient Client, EnsureOnce Created)> _containers = new();

    private (BlobContainerClient Client, EnsureOnce Created) Container(string name) =>
        _containers.GetOrAdd(name, n =>
        {
            var c = service.GetBlobContainerClient(prefix + n);
            return (c, new EnsureOnce(token => c.CreateIfNotExistsAsync(cancellationToken: token)));
        });

    /// <summary>Writers create the container on first use; readers treat a missing one as empty (one round trip less on a cold start).</summary>
    private async Task<BlobContainerClient> ContainerForWriteAsync(string name, CancellationToken ct)
    {
        var (client, created) = Container(name);
        await created.EnsureAsync(ct).ConfigureAwait(false);
        return client;
    }

    public async Task<bool> PutAsync(string container, string path, BinaryData content, bool overwrite, CancellationToken ct = default)
    {
        var blob = (await ContainerForWriteAsync(container, ct).ConfigureAwait(false)).GetBlobClient(path);
        try
        {
            var options = overwrite ? new BlobUploadOptions() : new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
            await blob.UploadAsync(content, options, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (!overwrite && (e.Status == 409 || e.Status == 412))
        {
            return false;
        }
    }

    public async Task<BinaryData?> GetAsync(string container, string path, CancellationToken ct = default)
    {
        var blob = Container(container).Client.GetBlobClient(path);
        try
        {
            var result = await blob.DownloadContentAsync(ct).ConfigureAwait(false);
            return result.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // BlobNotFound or ContainerNotFound: nothing there either way.
            return null;
        }
    }

    public async Task<Stream?> OpenReadAsync(string container, string path, CancellationToken ct = default)
    {
        var blob = Container(container).Client.GetBlobClient(path);
        try
        {
            var result = await blob.DownloadStreamingAsync(cancellationToken: ct).ConfigureAwait(false);
            return result.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string container, string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var pages = Container(container).Client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).AsPages().GetAsyncEnumerator(ct);
        while (true)
        {
            Page<BlobItem> page;
            try
            {
                if (!await pages.MoveNextAsync().ConfigureAwait(false)) yield break;
                page = pages.Current;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // The container was never written to.
                yield break;
            }
            foreach (var item in page.Values) yield return item.Name;
        }
    }

    public async Task<bool> DeleteAsync(string container, string path, CancellationToken ct = default)
    {
        var blob = (await ContainerForWriteAsync(container, ct).ConfigureAwait(false)).GetBlobClient(path);
        var response = await blob.DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        return response.Value;
    }

    public string Describe() => service.Uri + prefix;
}
