using System.Text.Json.Serialization;

namespace ServerlessReco.Rank;

/// <summary>Which scorer produced a list; shoppers and analysts see it in every answer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Strategy>))]
public enum Strategy
{
    /// <summary>The shopper's trained ALS vector.</summary>
    [JsonStringEnumMemberName("als")] Als,
    /// <summary>The ALS vector refreshed with events the model has not seen (fold-in).</summary>
    [JsonStringEnumMemberName("als+realtime")] AlsRealtime,
    /// <summary>Popularity in the market (or globally): shoppers without any signal.</summary>
    [JsonStringEnumMemberName("popularity")] Popularity,
    /// <summary>Item-to-item: behaviour cosine blended with content cosine.</summary>
    [JsonStringEnumMemberName("similar-items")] SimilarItems,
    /// <summary>The self-attentive sequence model over the shopper's most recent items.</summary>
    [JsonStringEnumMemberName("sequence")] Sequence,
    /// <summary>ALS (with fold-in) and the sequence model, each z-scored over all items, blended.</summary>
    [JsonStringEnumMemberName("als+sequence")] AlsSequence,
}

public static class Strategies
{
    /// <summary>The wire name, without a serializer: metrics tag every request with it.</summary>
    public static string Name(Strategy strategy) => strategy switch
    {
        Strategy.Als => "als",
        Strategy.AlsRealtime => "als+realtime",
        Strategy.Popularity => "popularity",
        Strategy.SimilarItems => "similar-items",
        Strategy.Sequence => "sequence",
        Strategy.AlsSequence => "als+sequence",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };
}

/// <summary>
/// Why an item is on the list: because-you-bought, similar-to-recent, matches-your-taste, popular-in-market,
/// popular-globally, similar-to.
/// </summary>
public sealed record Reason(string Kind, string? ItemId = null, string? Market = null);
