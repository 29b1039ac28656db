using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ServerlessReco.Domain;

namespace ServerlessReco.Catalog;

/// <summary>
/// The whole catalogue as one blob (catalog/snapshot.bin), written by the snapshot job so a starting serving
/// instance loads it in one read instead of scanning the items table, then catches up from the change feed at
/// <see cref="FeedPosition"/>.
/// </summary>
/// <remarks>
/// Format 1, little-endian, no compression (decoding must cost a small fraction of a table scan):
/// <list type="number">
/// <item>the magic "RECOCATS", int32 format version, int64 UTC ticks of <see cref="FeedPosition"/> and <see cref="TakenAt"/>;</item>
/// <item>a table of the short strings items repeat (categories, languages, market codes) and a table of distinct
/// market lists as indexes into it, so each is decoded once, not once per item;</item>
/// <item>int32 item count, then per item: id, version (uint64), category and source-language indexes, title,
/// description, market-list index, in-stock byte, prices and titles (count + 1, 0 for none), titles source
/// (flag + string), UpdatedAt ticks and offset minutes;</item>
/// <item>the XxHash64 of everything before it.</item>
/// </list>
/// Counts and indexes are 7-bit encoded; strings are UTF-8 with a 7-bit length prefix. The blob comes from
/// outside the process: every length, index and the checksum are checked, and a bad one throws
/// <see cref="InvalidDataException"/>.
/// </remarks>
public sealed record CatalogSnapshot(DateTimeOffset FeedPosition, DateTimeOffset TakenAt, IReadOnlyList<VersionedItem> Items)
{
    public const string BlobPath = "snapshot.bin";
    public const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "RECOCATS"u8;
    private const int HeaderLength = 8 + 4 + 8 + 8;
    private const int TrailerLength = 8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public byte[] Serialize()
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        var stringList = new List<string>();
        int Intern(string value)
        {
            if (!strings.TryGetValue(value, out int index)) { index = stringList.Count; strings[value] = index; stringList.Add(value); }
            return index;
        }
        var marketLists = new Dictionary<string, int>(StringComparer.Ordinal);
        var marketListIndexes = new List<int[]>();
        var itemMarkets = new int[Items.Count];
        for (int i = 0; i < Items.Count; i++)
        {
            var item = Items[i].Item;
            Intern(item.Category);
            Intern(item.SourceLanguage);
            foreach (var market in item.Prices?.Keys ?? Enumerable.Empty<string>()) Intern(market);
            foreach (var language in item.Titles?.Keys ?? Enumerable.Empty<string>()) Intern(language);
            var indexes = item.Markets.Select(Intern).ToArray();
            var key = string.Join(',', indexes);
            if (!marketLists.TryGetValue(key, out int list)) { list = marketListIndexes.Count; marketLists[key] = list; marketListIndexes.Add(indexes); }
            itemMarkets[i] = list;
        }

        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, StrictUtf8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(FeedPosition.UtcTicks);
            writer.Write(TakenAt.UtcTicks);
            writer.Write7BitEncodedInt(stringList.Count);
            foreach (var value in stringList) writer.Write(value);
            writer.Write7BitEncodedInt(marketListIndexes.Count);
            foreach (var list in marketListIndexes)
            {
                writer.Write7BitEncodedInt(list.Length);
                foreach (int index in list) writer.Write7BitEncodedInt(index);
            }
            writer.Write(Items.Count);
            for (int i = 0; i < Items.Count; i++)
            {
                var (item, version) = Items[i];
                writer.Write(item.Id);
                writer.Write(version);
                writer.Write7BitEncodedInt(strings[item.Category]);
                writer.Write7BitEncodedInt(strings[item.SourceLanguage]);
                writer.Write(item.Title);
                writer.Write(item.Description);
                writer.Write7BitEncodedInt(itemMarkets[i]);
                writer.Write(item.InStock);
                writer.Write7BitEncodedInt(item.Prices is null ? 0 : item.Prices.Count + 1);
                foreach (var (market, price) in item.Prices ?? []) { writer.Write7BitEncodedInt(strings[market]); writer.Write(price); }
                writer.Write7BitEncodedInt(item.Titles is null ? 0 : item.Titles.Count + 1);
                foreach (var (language, title) in item.Titles ?? []) { writer.Write7BitEncodedInt(strings[language]); writer.Write(title); }
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

    public static CatalogSnapshot Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength + TrailerLength)
            throw new InvalidDataException($"Catalogue snapshot is {data.Length} bytes, shorter than its header: truncated.");
        if (!data.StartsWith(Magic))
            throw new InvalidDataException("Catalogue snapshot does not start with RECOCATS: not a snapshot.");
        int version = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        if (version != FormatVersion)
            throw new InvalidDataException($"Catalogue snapshot format {version} is not the supported format {FormatVersion}.");
        var body = data[..^TrailerLength];
        if (XxHash64.HashToUInt64(body) != BinaryPrimitives.ReadUInt64BigEndian(data[^TrailerLength..]))
            throw new InvalidDataException($"Catalogue snapshot checksum mismatch ({data.Length} bytes): truncated or damaged.");

        var reader = new Reader(body, 12);
        var position = new DateTimeOffset(reader.Ticks(), TimeSpan.Zero);
        var takenAt = new DateTimeOffset(reader.Ticks(), TimeSpan.Zero);
        var strings = new string[reader.Count()];
        for (int i = 0; i < strings.Length; i++) strings[i] = reader.String();
        // Items with the same markets share one array: patches replace Markets, never write into it.
        var marketLists = new string[reader.Count()][];
        for (int i = 0; i < marketLists.Length; i++)
        {
            var list = new string[reader.Count()];
            for (int m = 0; m < list.Length; m++) list[m] = strings[reader.Index(strings.Length)];
            marketLists[i] = list;
        }
        int count = reader.Int32();
        // The smallest item takes 28 bytes: a count that the rest cannot hold is damage, not a reason to allocate.
        if (count < 0 || count > reader.Remaining / 28)
            throw new InvalidDataException($"Catalogue snapshot claims {count} items, more than its {body.Length} bytes can hold.");
        var items = new VersionedItem[count];
        for (int i = 0; i < count; i++)
        {
            var id = reader.String();
            var itemVersion = reader.UInt64();
            var category = strings[reader.Index(strings.Length)];
            var sourceLanguage = strings[reader.Index(strings.Length)];
            var title = reader.String();
            var description = reader.String();
            var markets = marketLists[reader.Index(marketLists.Length)];
            bool inStock = reader.Boolean();
            Dictionary<string, decimal>? prices = null;
            if (reader.Count() is > 0 and var priceCount)
            {
                prices = new Dictionary<string, decimal>(priceCount - 1);
                for (int p = 1; p < priceCount; p++) prices[strings[reader.Index(strings.Length)]] = reader.Decimal();
            }
            Dictionary<string, string>? titles = null;
            if (reader.Count() is > 0 and var titleCount)
            {
                titles = new Dictionary<string, string>(titleCount - 1);
                for (int t = 1; t < titleCount; t++) titles[strings[reader.Index(strings.Length)]] = reader.String();
            }
            string? titlesSource = reader.Boolean() ? reader.String() : null;
            long updatedTicks = reader.Int64();
            short offsetMinutes = reader.Int16();
            DateTimeOffset updatedAt;
            try
            {
                updatedAt = new DateTimeOffset(updatedTicks, TimeSpan.FromMinutes(offsetMinutes));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Catalogue snapshot item {i} has an impossible time: {e.Message}", e);
            }
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
                UpdatedAt = updatedAt,
            }, itemVersion);
        }
        if (reader.Remaining != 0)
            throw new InvalidDataException($"Catalogue snapshot has {reader.Remaining} bytes after its {count} items.");
        return new CatalogSnapshot(position, takenAt, items);
    }

    /// <summary>Reads what <see cref="BinaryWriter"/> wrote, straight from the span, checking every length against what is left.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, int offset)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at = offset;

        public readonly int Remaining => _data.Length - _at;

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > Remaining) throw new InvalidDataException($"Catalogue snapshot ends {length - Remaining} bytes too early: truncated.");
            var span = _data.Slice(_at, length);
            _at += length;
            return span;
        }

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        public short Int16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

        public bool Boolean() => Take(1)[0] switch
        {
            0 => false,
            1 => true,
            var b => throw new InvalidDataException($"Catalogue snapshot holds {b} where a boolean belongs."),
        };

        public long Ticks()
        {
            long ticks = Int64();
            return ticks is >= 0 and <= 3155378975999999999 ? ticks
                : throw new InvalidDataException($"Catalogue snapshot holds the impossible time {ticks} ticks.");
        }

        /// <summary>A 7-bit encoded count or length, at most what the remaining bytes could hold.</summary>
        public int Count()
        {
            uint value = Unsigned();
            return value <= (uint)Remaining + 1 ? (int)value
                : throw new InvalidDataException($"Catalogue snapshot holds the impossible count {value}.");
        }

        public int Index(int limit)
        {
            uint index = Unsigned();
            return index < (uint)limit ? (int)index : throw new InvalidDataException($"Catalogue snapshot refers to entry {index} of a table of {limit}.");
        }

        private uint Unsigned()
        {
            uint value = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                byte b = Take(1)[0];
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new InvalidDataException("Catalogue snapshot holds a malformed number.");
        }

        public string String()
        {
            var bytes = Take(Count());
            if (bytes.IsEmpty) return "";
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException("Catalogue snapshot holds text that is not UTF-8.", e);
            }
        }

        public decimal Decimal()
        {
            var bytes = Take(16);
            try
            {
                return new decimal([
                    BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]),
                    BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]), BinaryPrimitives.ReadInt32LittleEndian(bytes[12..])]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException("Catalogue snapshot holds an invalid price.", e);
            }
        }
    }
}
