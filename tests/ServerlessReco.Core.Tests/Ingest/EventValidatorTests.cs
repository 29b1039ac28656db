using System.Text;
using System.Text.Json.Nodes;
using ServerlessReco.Domain;
using ServerlessReco.Ingest;

namespace ServerlessReco.Tests.Ingest;

public class EventValidatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Pseudonymizer Pseudonyms = new(Pseudonymizer.DevelopmentKey);
    private static readonly EventValidator Validator = new(new EventValidationOptions(), Pseudonyms);

    private static JsonObject Valid() => new()
    {
        ["eventId"] = "e-1",
        ["userId"] = "shopper-42",
        ["itemId"] = "85123A",
        ["type"] = "purchase",
        ["quantity"] = 2,
        ["value"] = 2.55,
        ["market"] = "DE",
        ["locale"] = "de-AT",
        ["timestamp"] = "2025-06-01T13:30:00+02:00",
        ["sessionId"] = "s-1",
    };

    private static EventValidation Check(JsonNode node) => Validator.Validate(Encoding.UTF8.GetBytes(node.ToJsonString()), Now);

    private static JsonObject With(string field, JsonNode? value)
    {
        var e = Valid();
        e[field] = value;
        return e;
    }

    private static JsonObject Without(string field)
    {
        var e = Valid();
        e.Remove(field);
        return e;
    }

    private static void AssertRejected(JsonNode node, string field)
    {
        var result = Check(node);
        Assert.Null(result.Event);
        Assert.NotNull(result.Errors);
        Assert.True(result.Errors!.ContainsKey(field), $"expected an error on {field}, got {string.Join(", ", result.Errors.Keys)}");
    }

    [Fact]
    public void Valid_event_becomes_the_stored_form_with_the_user_pseudonymised()
    {
        var result = Check(Valid());
        Assert.Null(result.Errors);
        var e = result.Event!;
        Assert.Equal("e-1", e.EventId);
        Assert.Equal(Pseudonyms.Pseudonymize("shopper-42"), e.User);
        Assert.DoesNotContain("shopper-42", e.User);
        Assert.Equal(EventType.Purchase, e.Type);
        Assert.Equal(2, e.Quantity);
        Assert.Equal(2.55, e.Value);
        Assert.Equal("DE", e.Market);
        Assert.Equal("de-AT", e.Locale);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 11, 30, 0, TimeSpan.Zero), e.Timestamp.ToUniversalTime());
        Assert.Equal("s-1", e.Session);
    }

    [Fact]
    public void Optional_fields_may_be_absent_and_quantity_defaults_to_one()
    {
        var e = Valid();
        e.Remove("quantity");
        e.Remove("value");
        e.Remove("locale");
        e.Remove("sessionId");
        var result = Check(e);
        Assert.Null(result.Errors);
        Assert.Equal(1, result.Event!.Quantity);
        Assert.Null(result.Event.Locale);
    }

    [Theory]
    [InlineData("eventId")]
    [InlineData("userId")]
    [InlineData("itemId")]
    [InlineData("type")]
    [InlineData("market")]
    [InlineData("timestamp")]
    public void Required_fields_are_required(string field)
    {
        AssertRejected(Without(field), field);
        AssertRejected(With(field, null), field);
        AssertRejected(With(field, ""), field);
    }

    [Fact]
    public void Every_problem_is_reported_on_its_own_field()
    {
        var e = Valid();
        e["type"] = "like";
        e["quantity"] = 0;
        e["market"] = "XX";
        e["locale"] = "de_AT";
        var result = Check(e);
        Assert.Equal(["locale", "market", "quantity", "type"], result.Errors!.Keys.Order());
        Assert.Equal("e-1", result.EventId);
    }

    [Theory]
    [InlineData("LIKE")]
    [InlineData("View")]
    [InlineData("addToCart")]
    public void Event_type_must_be_one_of_the_five(string type) => AssertRejected(With("type", type), "type");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_000.5)]
    public void Quantity_must_be_positive_and_at_most_ten_thousand(double quantity) => AssertRejected(With("quantity", quantity), "quantity");

    [Fact]
    public void Quantity_of_ten_thousand_is_accepted() => Assert.Null(Check(With("quantity", 10_000)).Errors);

    [Fact]
    public void Numbers_must_be_JSON_numbers() => AssertRejected(With("quantity", "2"), "quantity");

    [Fact]
    public void Numbers_beyond_double_range_are_refused()
    {
        var json = Valid().ToJsonString().Replace("2.55", "1e400");
        var result = Validator.Validate(Encoding.UTF8.GetBytes(json), Now);
        Assert.True(result.Errors!.ContainsKey("value"));
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(5.5)]
    public void Rating_value_must_be_between_0_and_5(double value)
    {
        var e = With("type", "rating");
        e["value"] = value;
        AssertRejected(e, "value");
    }

    [Fact]
    public void Rating_needs_a_value()
    {
        var e = With("type", "rating");
        e.Remove("value");
        AssertRejected(e, "value");
        e["value"] = 5;
        Assert.Null(Check(e).Errors);
    }

    [Fact]
    public void Price_must_not_be_negative()
    {
        AssertRejected(With("value", -0.01), "value");
        Assert.Null(Check(With("value", 0)).Errors);
    }

    [Theory]
    [InlineData("2025-06-01T12:00:00")]          // no offset
    [InlineData("2025-06-01 12:00:00Z")]         // not ISO 8601
    [InlineData("2025-06-31T12:00:00Z")]         // no such day
    [InlineData("1717243200")]
    [InlineData("2025-06-01T12:00:00+25:00")]
    public void Timestamp_must_be_ISO_8601_with_an_offset(string timestamp) => AssertRejected(With("timestamp", timestamp), "timestamp");

    [Theory]
    [InlineData("2025-06-01T12:00:00Z")]
    [InlineData("2025-06-01T12:00Z")]
    [InlineData("2025-06-01T12:00:00.1234567+03:00")]
    [InlineData("2025-06-01T12:04:59Z")]
    public void Timestamp_forms_accepted(string timestamp) => Assert.Null(Check(With("timestamp", timestamp)).Errors);

    [Fact]
    public void Timestamp_more_than_five_minutes_ahead_is_refused() =>
        AssertRejected(With("timestamp", "2025-06-01T12:05:01Z"), "timestamp");

    [Fact]
    public void Timestamp_older_than_400_days_is_refused()
    {
        AssertRejected(With("timestamp", Now.AddDays(-400).AddSeconds(-1).ToString("O")), "timestamp");
        Assert.Null(Check(With("timestamp", Now.AddDays(-399).ToString("O"))).Errors);
    }

    [Fact]
    public void Age_limit_is_configurable()
    {
        var strict = new EventValidator(new EventValidationOptions { MaxAge = TimeSpan.FromDays(30) }, Pseudonyms);
        var result = strict.Validate(Encoding.UTF8.GetBytes(With("timestamp", Now.AddDays(-31).ToString("O")).ToJsonString()), Now);
        Assert.True(result.Errors!.ContainsKey("timestamp"));
    }

    [Theory]
    [InlineData("ZZ")]
    [InlineData("UK")]
    [InlineData("DEU")]
    public void Market_must_be_known(string market) => AssertRejected(With("market", market), "market");

    [Fact]
    public void Market_code_is_normalised_to_upper_case() => Assert.Equal("FR", Check(With("market", "fr")).Event!.Market);

    [Theory]
    [InlineData("de_AT")]
    [InlineData("12")]
    [InlineData("de-")]
    [InlineData("d")]
    [InlineData("de-AT-")]
    [InlineData("de-AT\n")]
    public void Locale_must_be_well_formed_BCP_47(string locale) => AssertRejected(With("locale", locale), "locale");

    [Theory]
    [InlineData("de")]
    [InlineData("zh-Hant-HK")]
    [InlineData("sr-Latn-RS")]
    [InlineData("es-419")]
    [InlineData("de-CH-1996")]
    [InlineData("en-US-u-ca-gregory")]
    [InlineData("x-private")]
    public void Well_formed_locales_are_accepted(string locale) => Assert.Null(Check(With("locale", locale)).Errors);

    [Theory]
    [InlineData("eventId")]
    [InlineData("userId")]
    [InlineData("itemId")]
    [InlineData("sessionId")]
    public void Ids_longer_than_256_characters_are_refused(string field)
    {
        AssertRejected(With(field, new string('a', 257)), field);
        Assert.Null(Check(With(field, new string('a', 256))).Errors);
    }

    [Theory]
    [InlineData("eventId", "a\u0000b")]
    [InlineData("userId", "tab\there")]
    [InlineData("itemId", "line\nbreak")]
    [InlineData("sessionId", "del\u007f")]
    [InlineData("itemId", "c1\u0085")]
    [InlineData("market", "D\u0000E")]
    public void Control_characters_are_refused_in_every_string(string field, string value) => AssertRejected(With(field, value), field);

    [Fact]
    public void Table_key_characters_and_non_ASCII_are_fine_in_ids()
    {
        var e = Valid();
        e["itemId"] = "a/b\\c#d?e";
        e["userId"] = "Zoë 😀 ユーザー";
        var result = Check(e);
        Assert.Null(result.Errors);
        Assert.Equal("a/b\\c#d?e", result.Event!.Item);
    }

    [Fact]
    public void Lone_surrogates_are_refused()
    {
        var json = Valid().ToJsonString().Replace("\"85123A\"", "\"\\ud800x\"");
        var result = Validator.Validate(Encoding.UTF8.GetBytes(json), Now);
        Assert.True(result.Errors!.ContainsKey("itemId"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"eventId\": ")]
    [InlineData("")]
    public void Unparseable_input_is_rejected_as_a_whole(string raw)
    {
        var result = Validator.Validate(Encoding.UTF8.GetBytes(raw), Now);
        Assert.Null(result.Event);
        Assert.True(result.Errors!.ContainsKey("$"));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"event\"")]
    [InlineData("42")]
    public void Non_objects_are_rejected(string raw) => Assert.True(Validator.Validate(Encoding.UTF8.GetBytes(raw), Now).Errors!.ContainsKey("$"));

    [Fact]
    public void Invalid_UTF8_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes(Valid().ToJsonString().Replace("85123A", "85123\u00e9"));
        var i = Array.IndexOf(bytes, (byte)0xC3);
        bytes[i] = 0xFF;
        var result = Validator.Validate(bytes, Now);
        Assert.Null(result.Event);
    }

    [Fact]
    public void Enqueued_time_is_kept()
    {
        var enqueued = Now.AddSeconds(-3);
        Assert.Equal(enqueued, Validator.Validate(Encoding.UTF8.GetBytes(Valid().ToJsonString()), Now, enqueued).Event!.EnqueuedAt);
    }

    [Fact]
    public void A_well_formed_recommendation_id_is_kept()
    {
        var id = ServerlessReco.Feedback.RecommendationIds.New();
        var e = Check(With("recommendationId", id)).Event!;
        Assert.Equal(id, e.RecommendationId);
        Assert.Null(e.UnattributedReason);
    }

    [Theory]
    [InlineData("\"not-an-id\"")]
    [InlineData("\"ABCDEF0123456789ABCDEF0123456789\"")]
    [InlineData("42")]
    [InlineData("{}")]
    public void A_malformed_recommendation_id_is_accepted_without_attribution(string json)
    {
        var check = Check(With("recommendationId", JsonNode.Parse(json)));
        Assert.Null(check.Errors);
        Assert.NotNull(check.Event);
        Assert.Null(check.Event.RecommendationId);
        Assert.Equal(ServerlessReco.Feedback.UnattributedReason.MalformedId, check.Event.UnattributedReason);
    }
}
