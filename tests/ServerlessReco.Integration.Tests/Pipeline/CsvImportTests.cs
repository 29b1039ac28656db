using ServerlessReco.Domain;
using ServerlessReco.Jobs.Import;

namespace ServerlessReco.Tests.Pipeline;

public class CsvImportTests
{
    private static readonly Pseudonymizer Pseudonyms = new("csv-import-test-key-0123456789");

    private static GenericCsvParser Parse(CsvImportOptions options, params string[] lines)
    {
        var parser = new GenericCsvParser(options, Pseudonyms);
        for (int i = 0; i < lines.Length; i++) parser.AddLine(i + 1, lines[i]);
        return parser;
    }

    [Fact]
    public void Named_columns_become_events_with_types_markets_and_times_and_bad_rows_are_kept_with_reasons()
    {
        var options = new CsvImportOptions("ratings.csv", "customer", "sku", "stars", "when", "country", null);
        var parser = Parse(options,
            "sku,customer,stars,when,country",
            "A1,u1,4,2024-03-01T10:00:00Z,DE",
            "A2,u1,5,1709287200,Germany",
            "A3,u2,2,2024-03-02T10:00:00+01:00,Atlantis",
            "A4,,3,2024-03-02T10:00:00Z,DE",
            "A5,u3,-1,2024-03-02T10:00:00Z,DE",
            "A6,u3,3,not a time,DE");
        Assert.Equal(3, parser.Events.Count);
        Assert.All(parser.Events, e => Assert.Equal(EventType.Rating, e.Type));
        Assert.Equal(Pseudonyms.Pseudonymize("u1"), parser.Events[0].User);
        Assert.Equal(["DE", "DE", Markets.Unknown], parser.Events.Select(e => e.Market));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1709287200), parser.Events[1].Timestamp);
        Assert.Equal(4, parser.Events[0].Value);
        Assert.Equal(1, parser.Report.UnknownCountries["Atlantis"]);
        Assert.Equal(["invalid user", "invalid value", "invalid time"], parser.Report.Rejected.Select(r => r.Reason));
        Assert.Equal(3, parser.Items(DateTimeOffset.UnixEpoch).Count);
    }

    [Fact]
    public void Without_value_or_type_columns_every_row_is_a_purchase_and_reimporting_gives_the_same_ids()
    {
        var options = new CsvImportOptions("orders.csv", "user", "item", null, null, null, null);
        var first = Parse(options, "user,item", "u1,A1", "u2,A1");
        var second = Parse(options, "user,item", "u1,A1", "u2,A1");
        Assert.All(first.Events, e => Assert.Equal(EventType.Purchase, e.Type));
        Assert.Equal(first.Events.Select(e => e.EventId), second.Events.Select(e => e.EventId));
    }

    [Fact]
    public void A_column_missing_from_the_header_is_named_in_the_error()
    {
        var options = new CsvImportOptions("x.csv", "user", "item", "rating", null, null, null);
        var error = Assert.Throws<InvalidDataException>(() => Parse(options, "user,item"));
        Assert.Contains("'rating' (--value)", error.Message);
    }
}
