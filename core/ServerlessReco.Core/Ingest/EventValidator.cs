using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ServerlessReco.Domain;

namespace ServerlessReco.Ingest;

public sealed record EventValidationOptions
{
    /// <summary>Storefront clocks drift; anything further ahead is a broken clock or a forged event.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Older events are replays of history the training window no longer uses.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(400);
}

/// <summary>An event as checked: the stored form, or the reasons it was refused. <see cref="EventId"/> is the sender's id when it was readable, for the per-event result.</summary>
public readonly record struct EventValidation(InteractionEvent? Event, string? EventId, Dictionary<string, string[]>? Errors);

/// <summary>
/// Turns one storefront event (raw JSON) into the stored form, or into per-field reasons. Pure: no storage, the
/// clock is a parameter. The user id leaves here only as its pseudonym.
/// </summary>
public sealed partial class EventValidator(EventValidationOptions options, Pseudonymizer pseudonymizer)
{
    public const double MaxQuantity = 10_000;
    public const double MaxRating = 5;

    public EventValidationOptions Options => options;

    public EventValidation Validate(ReadOnlyMemory<byte> json, DateTimeOffset now, DateTimeOffset? enqueuedAt = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            var errors = new FieldErrors();
            errors.Add("$", "is not valid JSON: " + e.Message);
            return new EventValidation(null, null, errors.ToDictionary());
        }
        using (document) return Validate(document.RootElement, now, enqueuedAt);
    }

    public EventValidation Validate(JsonElement record, DateTimeOffset now, DateTimeOffset? enqueuedAt = null)
    {
        var errors = new FieldErrors();
        if (record.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", "must be a JSON object");
            return new EventValidation(null, null, errors.ToDictionary());
        }
        if (!InputRules.HasReadableNames(record, errors)) return new EventValidation(null, null, errors.ToDictionary());

        var eventId = InputRules.Id(record, "eventId", errors);
        var userId = InputRules.Id(record, "userId", errors);
        var itemId = InputRules.Id(record, "itemId", errors);
        var sessionId = InputRules.Id(record, "sessionId", errors, required: false);
        // Never a reason to refuse the event: the interaction happened whatever the storefront's bookkeeping.
        string? recommendationId = null;
        Feedback.UnattributedReason? unattributed = null;
        if (record.TryGetProperty("recommendationId", out var rec) && rec.ValueKind != JsonValueKind.Null)
        {
            if (rec.ValueKind == JsonValueKind.String && rec.GetString() is var given && Feedback.RecommendationIds.IsWellFormed(given)) recommendationId = given;
            else unattributed = Feedback.UnattributedReason.MalformedId;
        }

        EventType? type = null;
        if (InputRules.String(record, "type", errors, required: true, maxLength: 32) is { } typeName)
        {
            if (EventTypes.TryParse(typeName, out var t)) type = t;
            else errors.Add("type", "must be one of view, click, add_to_cart, purchase, rating");
        }

        var quantity = InputRules.Number(record, "quantity", errors, out var hasQuantity) ?? 1;
        if (hasQuantity && (quantity <= 0 || quantity > MaxQuantity))
            errors.Add("quantity", $"must be greater than 0 and at most {MaxQuantity:N0}");

        var value = InputRules.Number(record, "value", errors, out var hasValue);
        if (type == EventType.Rating)
        {
            if (!hasValue) errors.Add("value", "is required for a rating");
            else if (value is < 0 or > MaxRating) errors.Add("value", $"a rating must be between 0 and {MaxRating}");
        }
        else if (value < 0)
        {
            errors.Add("value", "a price must not be negative");
        }

        string? market = null;
        if (InputRules.String(record, "market", errors, required: true, maxLength: 8) is { } marketCode)
        {
            market = InputRules.Market(marketCode);
            if (market is null) errors.Add("market", "is not a known market code (ISO 3166-1 alpha-2 of a country the shop sells into)");
        }

        var locale = InputRules.String(record, "locale", errors, required: false, maxLength: 64);
        if (locale is not null && !InputRules.IsWellFormedLanguageTag(locale))
        {
            errors.Add("locale", "must be a well-formed BCP 47 language tag such as de-AT");
            locale = null;
        }

        DateTimeOffset? timestamp = null;
        if (InputRules.String(record, "timestamp", errors, required: true, maxLength: 40) is { } text)
        {
            if (!TryParseTimestamp(text, out var ts))
                errors.Add("timestamp", "must be an ISO 8601 date and time with an offset, such as 2025-03-01T12:30:00+01:00 or ...Z");
            else if (ts > now + options.MaxClockSkew)
                errors.Add("timestamp", $"is more than {options.MaxClockSkew.TotalMinutes:0.#} minutes in the future");
            else if (ts < now - options.MaxAge)
                errors.Add("timestamp", $"is older than {options.MaxAge.TotalDays:0.#} days");
            else
                timestamp = ts;
        }

        if (errors.Any)
            return new EventValidation(null, eventId, errors.ToDictionary());

        return new EventValidation(new InteractionEvent
        {
            EventId = eventId!,
            User = pseudonymizer.Pseudonymize(userId!),
            Item = itemId!,
            Type = type!.Value,
            Quantity = quantity,
            Value = value,
            Market = market!,
            Locale = locale,
            Timestamp = timestamp!.Value,
            Session = sessionId,
            EnqueuedAt = enqueuedAt,
            RecommendationId = recommendationId,
            UnattributedReason = unattributed,
        }, eventId, null);
    }

    /// <summary>ISO 8601 with a mandatory offset: an event without one cannot be placed in time.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset timestamp)
    {
        timestamp = default;
        return IsoWithOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,7})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoWithOffset();
}
