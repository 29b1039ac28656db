using System.Globalization;
using ServerlessReco.Domain;

namespace ServerlessReco.Ingest;

/// <summary>
/// Online Retail (UCI 352) rows -> purchase events and catalogue items.
/// - One purchase event per invoice line; its id derives from invoice, stock code and line number, so a
///   re-import produces the same ids and the log counts them once.
/// - Cancellations (invoice "C...", negative quantity) take quantity back from the same customer's latest
///   earlier purchases of the same item; a purchase brought to zero is removed. Cancellations with no
///   earlier purchase (bought before the data starts) are counted as unmatched.
/// - Rows without CustomerID are anonymous: kept as events with an empty user, which count for item
///   popularity but not for any user's profile.
/// - Postage, fees and manual adjustments (non-product stock codes) and negative rows that are not
///   cancellations are counted and left out.
/// </summary>
public sealed class OnlineRetailParser
{
    private static readonly HashSet<string> NonProductCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "POST", "DOT", "M", "D", "C2", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "ADJUST", "ADJUST2", "TEST001", "TEST002",
    };

    private static readonly string[] Header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"];

    private readonly List<Purchase> _purchases = [];
    private readonly Dictionary<(string User, string Item), List<int>> _byUserItem = [];
    private readonly Dictionary<string, Dictionary<string, int>> _descriptions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _markets = new(StringComparer.Ordinal);
    private readonly List<string> _fields = new(8);

    public ImportReport Report { get; } = new();

    private sealed class Purchase
    {
        public required string EventId;
        public required string User;
        public required string Item;
        public required double Quantity;
        public required double UnitPrice;
        public required string Market;
        public required DateTimeOffset Timestamp;
        public required string Invoice;
    }

    /// <summary>Parses one line; line 1 must be the header.</summary>
    public void AddLine(long lineNumber, string line)
    {
        if (lineNumber == 1)
        {
            if (!Csv.TrySplit(line.TrimStart('\uFEFF'), _fields) || !_fields.SequenceEqual(Header, StringComparer.OrdinalIgnoreCase))
                throw new InvalidDataException($"Not an Online Retail file: expected the header {string.Join(',', Header)}, got '{line}'.");
            return;
        }
        Report.Rows++;
        if (!Csv.TrySplit(line, _fields)) { Report.Reject(lineNumber, line, "unterminated quote"); return; }
        if (_fields.Count != Header.Length) { Report.Reject(lineNumber, line, $"expected {Header.Length} fields"); return; }

        string invoice = _fields[0].Trim(), stockCode = _fields[1].Trim(), description = _fields[2].Trim(), country = _fields[7].Trim();
        if (invoice.Length == 0) { Report.Reject(lineNumber, line, "empty InvoiceNo"); return; }
        if (stockCode.Length == 0 || stockCode.Any(char.IsControl)) { Report.Reject(lineNumber, line, "invalid StockCode"); return; }
        if (!double.TryParse(_fields[3], NumberStyles.Integer | NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out double quantity) || quantity == 0)
        { Report.Reject(lineNumber, line, "invalid Quantity"); return; }
        if (!DateTime.TryParseExact(_fields[4].Trim(), ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "M/d/yyyy H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        { Report.Reject(lineNumber, line, "invalid InvoiceDate"); return; }
        if (!double.TryParse(_fields[5], NumberStyles.Float, CultureInfo.InvariantCulture, out double price) || double.IsNaN(price) || double.IsInfinity(price))
        { Report.Reject(lineNumber, line, "invalid UnitPrice"); return; }
        string user = "";
        var customer = _fields[6].Trim();
        if (customer.Length > 0)
        {
            if (!double.TryParse(customer, NumberStyles.Float, CultureInfo.InvariantCulture, out double id) || id != Math.Floor(id) || id <= 0 || id > int.MaxValue)
            { Report.Reject(lineNumber, line, "invalid CustomerID"); return; }
            user = ((long)id).ToString(CultureInfo.InvariantCulture);
        }
        else Report.AnonymousRows++;

        if (!CountryNames.TryMap(country, out var market))
        {
            Report.UnknownCountries[country] = Report.UnknownCountries.GetValueOrDefault(country) + 1;
            market = Markets.Unknown;
        }
        Report.RowsByMarket[market] = Report.RowsByMarket.GetValueOrDefault(market) + 1;

        if (NonProductCodes.Contains(stockCode)) { Report.NonProductRows++; return; }

        // The retailer is in the UK; invoice times are UK local time.
        var timestamp = new DateTimeOffset(local, UkOffset(local));
        bool cancellation = invoice.StartsWith('C') || invoice.StartsWith('c');
        if (cancellation || quantity < 0)
        {
            if (!cancellation) { Report.AdjustmentRows++; return; }
            Report.CancellationRows++;
            Cancel(user, stockCode, -Math.Abs(quantity), timestamp);
            return;
        }

        if (description.Length > 0)
        {
            if (!_descriptions.TryGetValue(stockCode, out var counts)) _descriptions[stockCode] = counts = new(StringComparer.Ordinal);
            counts[description] = counts.GetValueOrDefault(description) + 1;
        }
        if (market != Markets.Unknown) _markets.Add(market);
        var purchase = new Purchase
        {
            EventId = $"or:{invoice}:{stockCode}:{lineNumber}",
            User = user, Item = stockCode, Quantity = quantity, UnitPrice = price, Market = market, Timestamp = timestamp, Invoice = invoice,
        };
        if (!_byUserItem.TryGetValue((user, stockCode), out var list)) _byUserItem[(user, stockCode)] = list = [];
        list.Add(_purchases.Count);
        _purchases.Add(purchase);
    }

    private void Cancel(string user, string item, double negativeQuantity, DateTimeOffset at)
    {
        double remaining = -negativeQuantity;
        if (_byUserItem.TryGetValue((user, item), out var list))
        {
            for (int n = list.Count - 1; n >= 0 && remaining > 0; n--)
            {
                var p = _purchases[list[n]];
                if (p.Quantity <= 0 || p.Timestamp > at) continue;
                double taken = Math.Min(p.Quantity, remaining);
                p.Quantity -= taken;
                remaining -= taken;
                if (p.Quantity <= 0) Report.PurchasesRemovedByCancellation++;
                else Report.PurchasesReducedByCancellation++;
            }
        }
        if (remaining > 0) Report.UnmatchedCancellations++;
    }

    /// <summary>The purchases left after cancellations, as events; pseudonymises users.</summary>
    public List<InteractionEvent> Events(Pseudonymizer pseudonymizer) => Events(pseudonymizer.Pseudonymize);

    /// <param name="userKey">The stored user from the raw CustomerID: the pseudonym, except for the replay, which plays the raw shoppers against the API.</param>
    public List<InteractionEvent> Events(Func<string, string> userKey)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal) { [""] = "" };
        var events = new List<InteractionEvent>(_purchases.Count);
        foreach (var p in _purchases)
        {
            if (p.Quantity <= 0) continue;
            if (!users.TryGetValue(p.User, out var pseudonym)) users[p.User] = pseudonym = userKey(p.User);
            events.Add(new InteractionEvent
            {
                EventId = p.EventId,
                User = pseudonym,
                Item = p.Item,
                Type = EventType.Purchase,
                Quantity = p.Quantity,
                Value = p.UnitPrice,
                Market = p.Market,
                Locale = Markets.TryGet(p.Market, out var m) ? m.Languages[0] : null,
                Timestamp = p.Timestamp,
                Session = p.Invoice,
            });
        }
        Report.Events = events.Count;
        Report.Users = users.Count - 1;
        return events;
    }

    /// <summary>
    /// One item per stock code, titled with its most frequent description. The data has no categories: the
    /// last word of the title (its head noun: HOLDER, LANTERN, BAG) stands in, so category filters and
    /// diversity have something real to work with. Every item is sold in every market seen in the data.
    /// </summary>
    public List<CatalogItem> Items(DateTimeOffset now)
    {
        var markets = _markets.Order(StringComparer.Ordinal).ToArray();
        var items = _descriptions.Select(kv =>
        {
            var title = kv.Value.OrderByDescending(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal).First().Key;
            return new CatalogItem
            {
                Id = kv.Key, Category = CategoryOf(title), SourceLanguage = "en", Title = title, Description = title,
                Markets = markets, InStock = true, UpdatedAt = now,
            };
        }).ToList();
        Report.Items = items.Count;
        return items;
    }

    internal static string CategoryOf(string title)
    {
        var words = title.Split([' ', ',', '.', '+', '&', '/'], StringSplitOptions.RemoveEmptyEntries);
        for (int i = words.Length - 1; i >= 0; i--)
        {
            var w = words[i].Trim('"', '\'', '(', ')');
            if (w.Length >= 3 && w.All(c => char.IsLetter(c) || c == '-'))
                return w.ToLowerInvariant();
        }
        return "other";
    }

    private static readonly TimeZoneInfo? UkTime = TimeZoneInfo.TryFindSystemTimeZoneById("Europe/London", out var tz) ? tz : null;

    private static TimeSpan UkOffset(DateTime local) => UkTime?.GetUtcOffset(local) ?? TimeSpan.Zero;
}
