using System.Globalization;
using ServerlessReco.Domain;
using ServerlessReco.Ingest;

namespace ServerlessReco.Jobs.Import;

/// <summary>
/// A team's own interaction CSV (header row, columns named on the command line) -> events. Missing type
/// means purchase; missing time means the import time; missing market means unknown (ZZ). Event ids derive
/// from the file name and line number, so re-importing the same file adds nothing.
/// </summary>
public sealed class GenericCsvParser(CsvImportOptions options, Pseudonymizer pseudonymizer)
{
    private readonly List<string> _fields = [];
    private readonly Dictionary<string, string> _pseudonyms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _items = new(StringComparer.Ordinal);
    private readonly HashSet<string> _markets = new(StringComparer.Ordinal);
    private readonly string _source = Path.GetFileName(options.Input);
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private int _user = -1, _item = -1, _value = -1, _time = -1, _market = -1, _type = -1, _columns;

    public ImportReport Report { get; } = new();
    public List<InteractionEvent> Events { get; } = [];

    public void AddLine(long lineNumber, string line)
    {
        if (lineNumber == 1) { ReadHeader(line); return; }
        if (line.Length == 0) return;
        Report.Rows++;
        if (!Csv.TrySplit(line, _fields)) { Report.Reject(lineNumber, line, "unterminated quote"); return; }
        if (_fields.Count != _columns) { Report.Reject(lineNumber, line, $"expected {_columns} fields"); return; }
        var user = _fields[_user].Trim();
        var item = _fields[_item].Trim();
        if (user.Length == 0 || user.Length > 256 || user.Any(char.IsControl)) { Report.Reject(lineNumber, line, "invalid user"); return; }
        if (item.Length == 0 || item.Length > 256 || item.Any(char.IsControl)) { Report.Reject(lineNumber, line, "invalid item"); return; }
        var type = EventType.Purchase;
        if (_type >= 0 && !EventTypes.TryParse(_fields[_type].Trim().ToLowerInvariant(), out type)) { Report.Reject(lineNumber, line, "unknown event type"); return; }
        double? value = null;
        if (_value >= 0)
        {
            if (!double.TryParse(_fields[_value], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0) { Report.Reject(lineNumber, line, "invalid value"); return; }
            value = v;
            if (_type < 0) type = EventType.Rating;
        }
        var timestamp = _now;
        if (_time >= 0 && !TryParseTime(_fields[_time].Trim(), out timestamp)) { Report.Reject(lineNumber, line, "invalid time"); return; }
        var market = Markets.Unknown;
        if (_market >= 0)
        {
            var raw = _fields[_market].Trim();
            if (Markets.IsKnown(raw)) market = raw.ToUpperInvariant();
            else if (CountryNames.TryMap(raw, out var mapped)) market = mapped;
            else Report.UnknownCountries[raw] = Report.UnknownCountries.GetValueOrDefault(raw) + 1;
        }
        Report.RowsByMarket[market] = Report.RowsByMarket.GetValueOrDefault(market) + 1;
        if (!_pseudonyms.TryGetValue(user, out var pseudonym)) _pseudonyms[user] = pseudonym = pseudonymizer.Pseudonymize(user);
        _items.Add(item);
        if (market != Markets.Unknown) _markets.Add(market);
        Events.Add(new InteractionEvent
        {
            EventId = $"csv:{_source}:{lineNumber}",
            User = pseudonym, Item = item, Type = type, Value = value, Market = market, Timestamp = timestamp,
        });
        Report.Events = Events.Count;
        Report.Users = _pseudonyms.Count;
    }

    public List<CatalogItem> Items(DateTimeOffset now)
    {
        var markets = _markets.Order(StringComparer.Ordinal).ToArray();
        Report.Items = _items.Count;
        return _items.Select(id => new CatalogItem { Id = id, Title = id, Markets = markets, UpdatedAt = now }).ToList();
    }

    private void ReadHeader(string line)
    {
        Csv.TrySplit(line.TrimStart('\uFEFF'), _fields);
        var names = _fields.Select(f => f.Trim()).ToList();
        _columns = names.Count;
        int Find(string? name, string option)
        {
            if (name is null) return -1;
            int at = names.FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            return at >= 0 ? at : throw new InvalidDataException($"Column '{name}' ({option}) is not in the header: {string.Join(", ", names)}.");
        }
        _user = Find(options.User, "--user");
        _item = Find(options.Item, "--item");
        _value = Find(options.Value, "--value");
        _time = Find(options.Time, "--time");
        _market = Find(options.Market, "--market");
        _type = Find(options.Type, "--type");
    }

    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long unix))
        {
            time = unix > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(unix) : DateTimeOffset.FromUnixTimeSeconds(unix);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }
}
