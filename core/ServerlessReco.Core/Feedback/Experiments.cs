using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ServerlessReco.Feedback;

/// <summary>
/// A challenger version served to a share of shoppers beside the published one, named in models/current.json.
/// </summary>
/// <param name="Id">Part of the assignment hash: a new experiment reshuffles shoppers, the same one never does.</param>
/// <param name="ManifestSha256">The challenger's manifest, verified like the published version's.</param>
/// <param name="Share">Fraction of shoppers (0 exclusive .. 1 exclusive) on the challenger.</param>
public sealed record ModelExperiment(string Id, string Version, string ManifestSha256, double Share, DateTimeOffset StartedAt)
{
    public void Validate()
    {
        if (!(Share > 0 && Share < 1)) throw new ArgumentOutOfRangeException(nameof(Share), Share, "an experiment's share must be above 0 and below 1");
        if (string.IsNullOrWhiteSpace(Id) || Id.Length > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"experiment id '{Id}' must be 1-64 letters, digits, '-', '_' or '.'", nameof(Id));
    }
}

/// <summary>
/// Deterministic arm assignment: SHA-256 of the experiment id and the shopper's key, its first 8 bytes read as a
/// fraction of 2^64, below the share = challenger. The key is the pseudonym for known shoppers and whatever id an
/// anonymous one presents (pseudonymised the same way), so a shopper stays in one arm on every instance and request.
/// </summary>
public static class ArmAssignment
{
    public static Arm Assign(string experimentId, string shopperKey, double share)
    {
        int length = Encoding.UTF8.GetByteCount(experimentId) + 1 + Encoding.UTF8.GetByteCount(shopperKey);
        Span<byte> input = length <= 512 ? stackalloc byte[length] : new byte[length];
        int written = Encoding.UTF8.GetBytes(experimentId, input);
        // A separator no id contains: "ab"+"c" and "a"+"bc" must not collide.
        input[written++] = 0;
        Encoding.UTF8.GetBytes(shopperKey, input[written..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        double fraction = BinaryPrimitives.ReadUInt64BigEndian(hash) / 18446744073709551616.0;
        return fraction < share ? Arm.Challenger : Arm.Control;
    }
}
