using System.Runtime.CompilerServices;

namespace ServerlessReco.Storage;

/// <summary>Containers as sub-directories; writes go to a temporary file first so a reader never sees half a file.</summary>
public sealed class DirectoryBlobStore(string root) : IBlobStore
{
    public string Root { get; } = Path.GetFullPath(root);

    private string FullPath(string container, string path)
    {
        if (path.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(path))
            throw new ArgumentException($"Blob path '{path}' must be relative and must not contain '..'.", nameof(path));
        return Path.Combine(Root, container, path.Replace('/', Path.DirectorySeparatorChar));
    }

    public async Task<bool> PutAsync(string container, string path, BinaryData content, bool overwrite, CancellationToken ct = default)
    {
        var full = FullPath(container, path);
        if (!overwrite && File.Exists(full)) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, content.ToMemory(), ct).ConfigureAwait(false);
        try
        {
            File.Move(temp, full, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(full))
        {
            File.Delete(temp);
            return false;
        }
        return true;
    }

    public async Task<BinaryData?> GetAsync(string container, string path, CancellationToken ct = default)
    {
        var full = FullPath(container, path);
        if (!File.Exists(full)) return null;
        return new BinaryData(await File.ReadAllBytesAsync(full, ct).ConfigureAwait(false));
    }

    public Task<Stream?> OpenReadAsync(string container, string path, CancellationToken ct = default)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(FullPath(container, path), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string container, string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var dir = Path.Combine(Root, container);
        if (!Directory.Exists(dir)) yield break;
        var names = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            ct.ThrowIfCancellationRequested();
            yield return name;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> DeleteAsync(string container, string path, CancellationToken ct = default)
    {
        var full = FullPath(container, path);
        if (!File.Exists(full)) return Task.FromResult(false);
        File.Delete(full);
        return Task.FromResult(true);
    }

    public string Describe() => "dir:" + Root;
}
