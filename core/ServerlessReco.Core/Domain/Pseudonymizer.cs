using System.Security.Cryptography;
using System.Text;

namespace ServerlessReco.Domain;

/// <summary>
/// Turns a shopper's id into a keyed hash before it touches storage. Ingestion, training and serving
/// share one key, so the same shopper maps to the same pseudonym everywhere, while the raw id (personal
/// data, and possibly holding characters that table keys forbid) is never stored.
/// </summary>
public sealed class Pseudonymizer
{
    /// <summary>The setting that holds the key; read by the edges (the handler's options, the jobs' environment).</summary>
    public const string KeyVariable = "RECO_PSEUDONYM_KEY";
    public const int MinKeyLength = 16;
    /// <summary>Used when no key is configured: fine for the local demo, never for production.</summary>
    public const string DevelopmentKey = "serverlessreco-development-key-do-not-use-in-production";

    private readonly byte[] _key;

    public Pseudonymizer(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length < MinKeyLength)
            throw new ArgumentException($"The pseudonymisation key must be at least {MinKeyLength} characters: set {KeyVariable}.", nameof(key));
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>The pseudonymizer for a configured key; none configured means <see cref="DevelopmentKey"/>.</summary>
    public static Pseudonymizer ForKey(string? configuredKey) =>
        new(string.IsNullOrEmpty(configuredKey) ? DevelopmentKey : configuredKey);

    /// <summary>128 bits of HMAC-SHA256 as lower-case hex: fixed length and safe as a table key.</summary>
    public string Pseudonymize(string userId)
    {
        Span<byte> mac = stackalloc byte[32];
        var utf8 = Encoding.UTF8.GetBytes(userId);
        HMACSHA256.HashData(_key, utf8, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }
}
