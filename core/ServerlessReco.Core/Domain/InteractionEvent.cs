using System.Text.Json.Serialization;

namespace ServerlessReco.Domain;

[JsonConverter(typeof(JsonStringEnumConverter<EventType>))]
public enum EventType
{
    [JsonStringEnumMemberName("view")] View,
    [JsonStringEnumMemberName("click")] Click,
    [JsonStringEnumMemberName("add_to_cart")] AddToCart,
    [JsonStringEnumMemberName("purchase")] Purchase,
    [JsonStringEnumMemberName("rating")] Rating,
}

public static class EventTypes
{
    public static string Name(EventType type) => type switch
    {
        EventType.View => "view",
        EventType.Click => "click",
        EventType.AddToCart => "add_to_cart",
        EventType.Purchase => "purchase",
        EventType.Rating => "rating",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out EventType type)
    {
        switch (name)
        {
            case "view": type = EventType.View; return true;
            case "click": type = EventType.Click; return true;
            case "add_to_cart": type = EventType.AddToCart; return true;
            case "purchase": type = EventType.Purchase; return true;
            case "rating": type = EventType.Rating; return true;
            default: type = default; return false;
        }
    }
}

/// <summary>
/// An accepted interaction as stored in the event log and the events table. <see cref="User"/> is
/// always the pseudonym (keyed hash), never the shopper's raw id.
/// </summary>
public sealed record InteractionEvent
{
    public required string EventId { get; init; }
    public required string User { get; init; }
    public required string Item { get; init; }
    public required EventType Type { get; init; }
    public double Quantity { get; init; } = 1;
    public double? Value { get; init; }
    public string Market { get; init; } = Markets.Unknown;
    public string? Locale { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public string? Session { get; init; }
    /// <summary>When Event Hubs enqueued it, for events that came that way.</summary>
    public DateTimeOffset? EnqueuedAt { get; init; }
    /// <summary>The answer (<see cref="Feedback.RecommendationIds"/>) the storefront showed the item in, when it says so.</summary>
    public string? RecommendationId { get; init; }
    /// <summary>Set at ingestion when the sender's recommendation id was unusable; the event itself is accepted.</summary>
    public Feedback.UnattributedReason? UnattributedReason { get; init; }
}
