namespace ServerlessReco.Domain;

/// <summary>A country the shop sells into: ISO 3166-1 alpha-2 code, its languages (BCP 47, preferred first), currency and time zone.</summary>
public sealed record Market(string Code, string[] Languages, string Currency, string TimeZone);

public static class Markets
{
    /// <summary>
    /// CLDR's "Unknown Region". Events whose origin is not a country (Online Retail's "European Community",
    /// "Unspecified") keep this code: they train user and item factors and global popularity, never a market's.
    /// </summary>
    public const string Unknown = "ZZ";

    private static readonly Market[] All =
    [
        new("GB", ["en"], "GBP", "Europe/London"),
        new("IE", ["en", "ga"], "EUR", "Europe/Dublin"),
        new("FR", ["fr"], "EUR", "Europe/Paris"),
        new("DE", ["de"], "EUR", "Europe/Berlin"),
        new("AT", ["de"], "EUR", "Europe/Vienna"),
        new("CH", ["de", "fr", "it"], "CHF", "Europe/Zurich"),
        new("NL", ["nl"], "EUR", "Europe/Amsterdam"),
        new("BE", ["nl", "fr", "de"], "EUR", "Europe/Brussels"),
        new("ES", ["es"], "EUR", "Europe/Madrid"),
        new("PT", ["pt"], "EUR", "Europe/Lisbon"),
        new("IT", ["it"], "EUR", "Europe/Rome"),
        new("NO", ["nb", "nn"], "NOK", "Europe/Oslo"),
        new("SE", ["sv"], "SEK", "Europe/Stockholm"),
        new("DK", ["da"], "DKK", "Europe/Copenhagen"),
        new("FI", ["fi", "sv"], "EUR", "Europe/Helsinki"),
        new("IS", ["is"], "ISK", "Atlantic/Reykjavik"),
        new("PL", ["pl"], "PLN", "Europe/Warsaw"),
        new("CZ", ["cs"], "CZK", "Europe/Prague"),
        new("LT", ["lt"], "EUR", "Europe/Vilnius"),
        new("GR", ["el"], "EUR", "Europe/Athens"),
        new("CY", ["el", "tr"], "EUR", "Asia/Nicosia"),
        new("MT", ["mt", "en"], "EUR", "Europe/Malta"),
        new("IL", ["he"], "ILS", "Asia/Jerusalem"),
        new("LB", ["ar"], "LBP", "Asia/Beirut"),
        new("AE", ["ar"], "AED", "Asia/Dubai"),
        new("SA", ["ar"], "SAR", "Asia/Riyadh"),
        new("BH", ["ar"], "BHD", "Asia/Bahrain"),
        new("JP", ["ja"], "JPY", "Asia/Tokyo"),
        new("HK", ["zh-Hant", "en"], "HKD", "Asia/Hong_Kong"),
        new("SG", ["en", "zh-Hans", "ms", "ta"], "SGD", "Asia/Singapore"),
        new("AU", ["en"], "AUD", "Australia/Sydney"),
        new("CA", ["en", "fr"], "CAD", "America/Toronto"),
        new("US", ["en"], "USD", "America/New_York"),
        new("BR", ["pt"], "BRL", "America/Sao_Paulo"),
        new("ZA", ["en", "af", "zu"], "ZAR", "Africa/Johannesburg"),
        new("KR", ["ko"], "KRW", "Asia/Seoul"),
        new("CN", ["zh-Hans"], "CNY", "Asia/Shanghai"),
        new("MX", ["es"], "MXN", "America/Mexico_City"),
    ];

    private static readonly Dictionary<string, Market> ByCode = All.ToDictionary(m => m.Code, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<Market> Known => All;

    public static bool TryGet(string? code, out Market market)
    {
        market = null!;
        return code is not null && ByCode.TryGetValue(code, out market!);
    }

    public static bool IsKnown(string? code) => code is not null && ByCode.ContainsKey(code);

    /// <summary>Every language spoken in any known market, distinct: the targets of catalogue translation.</summary>
    public static IEnumerable<string> LanguagesOf(IEnumerable<string> marketCodes) =>
        marketCodes.SelectMany(c => TryGet(c, out var m) ? m.Languages : []).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Online Retail names countries in English. Each name is mapped explicitly; anything unlisted is
/// reported as unknown by the importer rather than guessed.
/// </summary>
public static class CountryNames
{
    private static readonly Dictionary<string, string> ToCode = new(StringComparer.OrdinalIgnoreCase)
    {
        ["United Kingdom"] = "GB",
        // Jersey and Guernsey cannot be told apart in the data; both buy from the UK storefront in GBP and English.
        ["Channel Islands"] = "GB",
        ["EIRE"] = "IE",
        ["Ireland"] = "IE",
        ["France"] = "FR",
        ["Germany"] = "DE",
        ["Austria"] = "AT",
        ["Switzerland"] = "CH",
        ["Netherlands"] = "NL",
        ["Belgium"] = "BE",
        ["Spain"] = "ES",
        ["Portugal"] = "PT",
        ["Italy"] = "IT",
        ["Norway"] = "NO",
        ["Sweden"] = "SE",
        ["Denmark"] = "DK",
        ["Finland"] = "FI",
        ["Iceland"] = "IS",
        ["Poland"] = "PL",
        ["Czech Republic"] = "CZ",
        ["Lithuania"] = "LT",
        ["Greece"] = "GR",
        ["Cyprus"] = "CY",
        ["Malta"] = "MT",
        ["Israel"] = "IL",
        ["Lebanon"] = "LB",
        ["United Arab Emirates"] = "AE",
        ["Saudi Arabia"] = "SA",
        ["Bahrain"] = "BH",
        ["Japan"] = "JP",
        ["Hong Kong"] = "HK",
        ["Singapore"] = "SG",
        ["Australia"] = "AU",
        ["Canada"] = "CA",
        ["USA"] = "US",
        ["United States"] = "US",
        ["Brazil"] = "BR",
        ["RSA"] = "ZA",
        ["South Africa"] = "ZA",
        // Not countries: the customer's market is unknown.
        ["European Community"] = Markets.Unknown,
        ["Unspecified"] = Markets.Unknown,
    };

    public static bool TryMap(string name, out string code) => ToCode.TryGetValue(name.Trim(), out code!);
}
