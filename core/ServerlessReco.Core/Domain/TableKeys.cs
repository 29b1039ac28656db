using System.Buffers.Text;
using System.Text;

namespace ServerlessReco.Domain;

/// <summary>
/// Azure Table keys forbid '/', '\', '#', '?' and control characters, and ids come from outside.
/// Base64url is reversible and uses only A-Z a-z 0-9 - _, so any id becomes a valid key.
/// </summary>
public static class TableKeys
{
    public static string Encode(string id) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));

    public static string Decode(string key) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(key));

    /// <summary>Row keys that sort newest first: inverted ticks, zero-padded to a fixed width.</summary>
    public static string NewestFirst(DateTimeOffset timestamp) => (DateTimeOffset.MaxValue.UtcTicks - timestamp.UtcTicks).ToString("D19");
}
