using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ServerlessReco.Domain;

/// <summary>What checking a shopper token against the shopper in the path found.</summary>
public enum ShopperTokenCheck { Valid, Missing, Malformed, Expired, OtherShopper }

/// <summary>
/// The credential for a shopper's personalized endpoints: the storefront back end, which knows who is signed in,
/// mints "{expiry}.{mac}" (expiry in Unix seconds; mac = HMAC-SHA256 under the shared secret of "{expiry}.{user id}",
/// base64url without padding) and hands it to that shopper's browser, which sends it as "Authorization: Bearer".
/// It proves nothing but "this user id, until then", so a browser reads its own shopper's recommendations and no
/// one else's, and the handler needs no session store. The mac covers the raw id, so a token for one shopper is
/// worthless for every other.
/// </summary>
public sealed class ShopperTokens
{
    public const string SecretVariable = "RECO_SHOPPER_TOKEN_SECRET";
    /// <summary>256 bits of base64 or hex: anything shorter is guessable offline from one token.</summary>
    public const int MinSecretLength = 32;
    /// <summary>Used when no secret is configured: the local demo and tests mint with it; never for production.</summary>
    public const string DevelopmentSecret = "serverlessreco-development-shopper-token-secret-do-not-use";
    public const string Scheme = "Bearer";

    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    public ShopperTokens(string secret, TimeProvider time)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < MinSecretLength)
            throw new ArgumentException($"The shopper token secret must be at least {MinSecretLength} characters: set {SecretVariable}.", nameof(secret));
        _secret = Encoding.UTF8.GetBytes(secret);
        _time = time;
    }

    /// <summary>The tokens for a configured secret; none configured means <see cref="DevelopmentSecret"/>.</summary>
    public static ShopperTokens ForSecret(string? configuredSecret, TimeProvider time) =>
        new(string.IsNullOrEmpty(configuredSecret) ? DevelopmentSecret : configuredSecret, time);

    public string Mint(string userId, DateTimeOffset expires)
    {
        var expiry = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return expiry + "." + Mac(expiry, userId);
    }

    /// <param name="authorization">The request's Authorization header, or null.</param>
    public ShopperTokenCheck Check(string? authorization, string userId)
    {
        if (string.IsNullOrEmpty(authorization)) return ShopperTokenCheck.Missing;
        if (!authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase)) return ShopperTokenCheck.Malformed;
        var token = authorization.AsSpan(Scheme.Length + 1).Trim();
        int dot = token.IndexOf('.');
        if (dot <= 0 || !long.TryParse(token[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out long expiry)) return ShopperTokenCheck.Malformed;
        if (expiry <= _time.GetUtcNow().ToUnixTimeSeconds()) return ShopperTokenCheck.Expired;
        var expected = Encoding.ASCII.GetBytes(Mac(token[..dot].ToString(), userId));
        Span<byte> given = stackalloc byte[64];
        if (!Encoding.ASCII.TryGetBytes(token[(dot + 1)..], given, out int length)) return ShopperTokenCheck.Malformed;
        return CryptographicOperations.FixedTimeEquals(expected, given[..length]) ? ShopperTokenCheck.Valid : ShopperTokenCheck.OtherShopper;
    }

    private string Mac(string expiry, string userId)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(expiry + "." + userId), mac);
        return Base64Url.EncodeToString(mac);
    }
}
