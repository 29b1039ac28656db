using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Catalog;

/// <summary>
/// The whole catalogue as one blob (catalog/snapshot.bin), written by the snapshot job so a starting serving
/// instance loads it in one read instead of scanning the items table, then catches up from the change feed at
/// <see cref="FeedPosition"/>.
/// </summary>
/// <remarks>
/// Format (little-endian, no compression: decoding must stay far below a table scan): the magic "RECOCATS",
/// int32 format version, int64 UTC ticks of <see cref="FeedPosition"/> and <see cref="TakenAt"/>, int32 item
/// count, the items, then the XxHash64 of everything before it. Strings are UTF-8 with a 7-bit length prefix
/// (BinaryWriter's encoding). The blob comes from outside the process: every length and the checksum are checked.
/// </remarks>
public sealed record CatalogSnapshot(DateTimeOffset FeedPosition, DateTimeOffset TakenAt, IReadOnlyList<VersionedItem> Items)
{
    public const string BlobPath = "snapshot.bin";
    public const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "RECOCATS"u8;
    private const int HeaderLength = 8 + 4 + 8 + 8 + 4;
    private const int TrailerLength = 8;
    // Id, Version, Category, SourceLanguage, Title, Description (one length byte each), market count, in stock,
    // prices and titles counts, titles-source flag, UpdatedAt ticks and offset.
    private const int MinItemLength = 6 + 4 + 1 + 4 + 4 + 1 + 8 + 2;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The stored snapshot, or null when none was written. Throws <see cref="InvalidDataException"/> for a damaged one.</summary>
    public static async Task<CatalogSnapshot?> ReadAsync(IBlobStore blobs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        return await blobs.GetAsync(Containers.Catalog, BlobPath, ct).ConfigureAwait(false) is { } data ? Deserialize(data.ToMemory()) : null;
    }

    public byte[] Serialize()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, StrictUtf8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(FeedPosition.UtcTicks);
            writer.Write(TakenAt.UtcTicks);
            writer.Write(Items.Count);
            foreach (var (item, version) in Items)
            {
                writer.Write(item.Id);
                writer.Write(version);
                writer.Write(item.Category);
                writer.Write(item.SourceLanguage);
                writer.Write(item.Title);
                writer.Write(item.Description);
                writer.Write(item.Markets.Length);
                foreach (var market in item.Markets) writer.Write(market);
                writer.Write(item.InStock);
                writer.Write(item.Prices?.Count ?? -1);
                foreach (var (market, price) in item.Prices ?? []) { writer.Write(market); writer.Write(price); }
                writer.Write(item.Titles?.Count ?? -1);
                foreach (var (language, title) in item.Titles ?? []) { writer.Write(language); writer.Write(title); }
                writer.Write(item.TitlesSource is not null);
                if (item.TitlesSource is not null) writer.Write(item.TitlesSource);
                writer.Write(item.UpdatedAt.Ticks);
                writer.Write((short)item.UpdatedAt.Offset.TotalMinutes);
            }
        }
        Span<byte> hash = stackalloc byte[TrailerLength];
        XxHash64.Hash(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), hash);
        buffer.Write(hash);
        return buffer.ToArray();
    }

    public static CatalogSnapshot Deserialize(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        if (span.Length < HeaderLength + TrailerLength)
            throw new InvalidDataException($"Catalogue snapshot is {span.Length} bytes, shorter than its header: truncated.");
        if (!span.StartsWith(Magic))
            throw new InvalidDataException("Catalogue snapshot does not start with RECOCATS: not a snapshot.");
        int version = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (version != FormatVersion)
            throw new InvalidDataException($"Catalogue snapshot format {version} is not the supported format {FormatVersion}.");
        var body = span[..^TrailerLength];
        if (XxHash64.HashToUInt64(body) != BinaryPrimitives.ReadUInt64BigEndian(span[^TrailerLength..]))
            throw new InvalidDataException($"Catalogue snapshot checksum mismatch ({span.Length} bytes): truncated or damaged.");

        try
        {
            using var reader = new BinaryReader(new MemoryStream(data[..^TrailerLength].ToArray(), writable: false), StrictUtf8);
            reader.BaseStream.Position = 12;
            var position = new DateTimeOffset(ReadTicks(reader), TimeSpan.Zero);
            var takenAt = new DateTimeOffset(ReadTicks(reader), TimeSpan.Zero);
            int count = reader.ReadInt32();
            if (count < 0 || count > (body.Length - HeaderLength) / MinItemLength)
                throw new InvalidDataException($"Catalogue snapshot claims {count} items, more than its {body.Length} bytes can hold.");
            var items = new VersionedItem[count];
            var strings = new StringPool();
            for (int i = 0; i < count; i++)
            {
                var id = reader.ReadString();
                var itemVersion = reader.ReadString();
                var category = strings.Get(reader.ReadString());
                var sourceLanguage = strings.Get(reader.ReadString());
                var title = reader.ReadString();
                var description = reader.ReadString();
                var markets = new string[Count(reader, body.Length)];
                for (int m = 0; m < markets.Length; m++) markets[m] = strings.Get(reader.ReadString());
                bool inStock = reader.ReadBoolean();
                Dictionary<string, decimal>? prices = null;
                if (OptionalCount(reader, body.Length) is { } priceCount)
                {
                    prices = new Dictionary<string, decimal>(priceCount);
                    for (int p = 0; p < priceCount; p++) prices[strings.Get(reader.ReadString())] = reader.ReadDecimal();
                }
                Dictionary<string, string>? titles = null;
                if (OptionalCount(reader, body.Length) is { } titleCount)
                {
                    titles = new Dictionary<string, string>(titleCount);
                    for (int t = 0; t < titleCount; t++) titles[strings.Get(reader.ReadString())] = reader.ReadString();
                }
                string? titlesSource = reader.ReadBoolean() ? reader.ReadString() : null;
                long updatedTicks = reader.ReadInt64();
                short offsetMinutes = reader.ReadInt16();
                items[i] = new VersionedItem(new CatalogItem
                {
                    Id = id,
                    Category = category,
                    SourceLanguage = sourceLanguage,
                    Title = title,
                    Description = description,
                    Markets = markets,
                    InStock = inStock,
                    Prices = prices,
                    Titles = titles,
                    TitlesSource = titlesSource,
                    UpdatedAt = new DateTimeOffset(updatedTicks, TimeSpan.FromMinutes(offsetMinutes)),
                }, itemVersion);
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException($"Catalogue snapshot has {reader.BaseStream.Length - reader.BaseStream.Position} bytes after its {count} items.");
            return new CatalogSnapshot(position, takenAt, items);
        }
        catch (Exception e) when (e is IOException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException("Catalogue snapshot is malformed: " + e.Message, e);
        }
    }

    private static long ReadTicks(BinaryReader reader)
    {
        long ticks = reader.ReadInt64();
        return ticks is >= 0 and <= 3155378975999999999 ? ticks
            : throw new InvalidDataException($"Catalogue snapshot holds the impossible time {ticks} ticks.");
    }

    private static int Count(BinaryReader reader, int length)
    {
        int count = reader.ReadInt32();
        return count >= 0 && count <= length ? count : throw new InvalidDataException($"Catalogue snapshot holds the impossible count {count}.");
    }

    private static int? OptionalCount(BinaryReader reader, int length)
    {
        int count = reader.ReadInt32();
        return count == -1 ? null : count >= 0 && count <= length ? count
            : throw new InvalidDataException($"Catalogue snapshot holds the impossible count {count}.");
    }

    /// <summary>Market codes, languages and categories repeat across items: one string each instead of one per item.</summary>
    private sealed class StringPool
    {
        private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

        public string Get(string value) => _strings.TryGetValue(value, out var pooled) ? pooled : _strings[value] = value;
    }
}
