using ServerlessReco.Domain;
using ServerlessReco.Ingest;

namespace ServerlessReco.Tests.Import;

public class OnlineRetailParserTests
{
    private const string Header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    private static readonly Pseudonymizer Pseudonyms = new("test-key-0123456789abcdef");

    private static OnlineRetailParser Parse(params string[] rows)
    {
        var parser = new OnlineRetailParser();
        parser.AddLine(1, Header);
        for (int i = 0; i < rows.Length; i++) parser.AddLine(i + 2, rows[i]);
        return parser;
    }

    [Fact]
    public void Purchase_rows_become_purchase_events_with_integer_customer_ids_and_iso_markets()
    {
        var parser = Parse("536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
                           "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,12583.0,EIRE");
        var events = parser.Events(Pseudonyms);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(EventType.Purchase, e.Type));
        Assert.Equal(Pseudonyms.Pseudonymize("17850"), events[0].User);
        Assert.Equal("GB", events[0].Market);
        Assert.Equal("IE", events[1].Market);
        Assert.Equal(6, events[0].Quantity);
        Assert.Equal(new DateTimeOffset(2010, 12, 1, 8, 26, 0, TimeSpan.Zero), events[0].Timestamp);
    }

    [Fact]
    public void A_full_cancellation_removes_the_matching_purchase_and_a_partial_one_reduces_it()
    {
        var parser = Parse("536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
                           "536370,22728,ALARM CLOCK,24,2010-12-01 08:45:00,3.75,17850.0,United Kingdom",
                           "C536380,85123A,HOLDER,-6,2010-12-02 09:00:00,2.55,17850.0,United Kingdom",
                           "C536381,22728,ALARM CLOCK,-4,2010-12-02 09:00:00,3.75,17850.0,United Kingdom");
        var events = parser.Events(Pseudonyms);
        var only = Assert.Single(events);
        Assert.Equal("22728", only.Item);
        Assert.Equal(20, only.Quantity);
        Assert.Equal(2, parser.Report.CancellationRows);
        Assert.Equal(1, parser.Report.PurchasesRemovedByCancellation);
        Assert.Equal(1, parser.Report.PurchasesReducedByCancellation);
    }

    [Fact]
    public void A_cancellation_without_an_earlier_purchase_is_counted_as_unmatched()
    {
        var parser = Parse("C536379,22728,ALARM CLOCK,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",
                           "536390,22728,ALARM CLOCK,2,2010-12-03 09:41:00,3.75,14527.0,United Kingdom");
        Assert.Single(parser.Events(Pseudonyms));
        Assert.Equal(1, parser.Report.UnmatchedCancellations);
    }

    [Fact]
    public void Rows_without_customer_are_anonymous_events_that_only_feed_popularity()
    {
        var parser = Parse("536544,21773,DECORATIVE BATHROOM BOX,1,2010-12-01 14:32:00,2.51,,United Kingdom");
        var e = Assert.Single(parser.Events(Pseudonyms));
        Assert.Equal("", e.User);
        Assert.Equal(1, parser.Report.AnonymousRows);
        Assert.Equal(0, parser.Report.Users);
    }

    [Fact]
    public void Country_names_that_are_not_countries_map_to_the_unknown_market_and_unlisted_names_are_reported()
    {
        var parser = Parse("1,A1,THING,1,2011-01-01 10:00:00,1.0,1.0,European Community",
                           "2,A1,THING,1,2011-01-01 10:00:00,1.0,2.0,Unspecified",
                           "3,A1,THING,1,2011-01-01 10:00:00,1.0,3.0,Atlantis",
                           "4,A1,THING,1,2011-01-01 10:00:00,1.0,4.0,RSA",
                           "5,A1,THING,1,2011-01-01 10:00:00,1.0,5.0,Channel Islands");
        var events = parser.Events(Pseudonyms);
        Assert.Equal([Markets.Unknown, Markets.Unknown, Markets.Unknown, "ZA", "GB"], events.Select(e => e.Market));
        Assert.Equal(1, parser.Report.UnknownCountries["Atlantis"]);
    }

    [Fact]
    public void Malformed_rows_are_counted_by_reason_kept_verbatim_and_never_fatal()
    {
        var bad = new[]
        {
            "536365,85123A,TOO,FEW",
            "536365,85123A,HOLDER,six,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
            "536365,85123A,HOLDER,6,yesterday,2.55,17850.0,United Kingdom",
            "536365,85123A,HOLDER,6,2010-12-01 08:26:00,cheap,17850.0,United Kingdom",
            "536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,17850.5,United Kingdom",
            "536365,85123A,\"UNTERMINATED,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        };
        var parser = Parse([.. bad, "536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom"]);
        Assert.Single(parser.Events(Pseudonyms));
        Assert.Equal(bad.Length, parser.Report.Malformed);
        Assert.Equal(bad, parser.Report.Rejected.Select(r => r.Raw));
        Assert.Contains("invalid Quantity", parser.Report.MalformedByReason.Keys);
        Assert.Contains("invalid CustomerID", parser.Report.MalformedByReason.Keys);
    }

    [Fact]
    public void Quoted_descriptions_with_commas_parse_and_postage_is_left_out()
    {
        var parser = Parse("536365,21000,\"BAG, RED \"\"RETRO\"\" SPOT\",1,2010-12-01 08:26:00,2.55,17850.0,France",
                           "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.0,17850.0,France");
        Assert.Single(parser.Events(Pseudonyms));
        var item = Assert.Single(parser.Items(DateTimeOffset.UnixEpoch));
        Assert.Equal("BAG, RED \"RETRO\" SPOT", item.Title);
        Assert.Equal(["FR"], item.Markets);
        Assert.Equal(1, parser.Report.NonProductRows);
    }

    [Fact]
    public void Re_parsing_the_same_rows_gives_the_same_event_ids()
    {
        string row = "536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom";
        Assert.Equal(Parse(row).Events(Pseudonyms)[0].EventId, Parse(row).Events(Pseudonyms)[0].EventId);
    }

    [Fact]
    public void A_file_with_another_header_is_refused_with_the_expected_header_named()
    {
        var parser = new OnlineRetailParser();
        var error = Assert.Throws<InvalidDataException>(() => parser.AddLine(1, "user,item"));
        Assert.Contains("InvoiceNo", error.Message);
    }
}
