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
    /// <summary>Product search: what a query found (impressions of /api/search answers).</summary>
    [JsonStringEnumMemberName("search")] Search,
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
        Strategy.Search => "search",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };
}

/// <summary>
/// Why an item is on the list: because-you-bought, similar-to-recent, matches-your-taste, popular-in-market,
/// popular-globally, similar-to.
/// </summary>
public sealed record Reason(string Kind, string? ItemId = null, string? Market = null);

/// <summary>
/// Which scorers a request asks for (the `strategy` query parameter and RECO_STRATEGY); the answer's
/// <see cref="Strategy"/> says which one had something to say. Each chain ends in market popularity.
/// </summary>
public enum ScorerChain
{
    /// <summary>ALS with real-time fold-in: the default, the best measured on the time split alone.</summary>
    Als,
    /// <summary>The sequence model over the shopper's recent items; ALS when the version has no sequence model.</summary>
    Sequence,
    /// <summary>ALS and the sequence model, z-scored and blended; ALS alone when the version has no sequence model.</summary>
    AlsSequence,
}

public static class ScorerChains
{
    /// <summary>The names requests and settings use, in <see cref="ScorerChain"/> order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["als", "sequence", "als+sequence"];

    public static string Name(ScorerChain chain) => Names[(int)chain];

    /// <summary>
    /// Reads a name; "als sequence" is accepted for "als+sequence" because an unescaped '+' in a query string
    /// decodes to a space.
    /// </summary>
    public static bool TryParse(string? text, out ScorerChain chain)
    {
        int at = text is null ? -1 : Array.IndexOf([.. Names], text.Trim().Replace(' ', '+').ToLowerInvariant());
        chain = at < 0 ? ScorerChain.Als : (ScorerChain)at;
        return at >= 0;
    }

    /// <summary>The scorers of a chain, asked in order; <paramref name="blendWeight"/> is the sequence model's share of the blend.</summary>
    public static IReadOnlyList<IScorer> Scorers(ScorerChain chain, float blendWeight) => chain switch
    {
        ScorerChain.Sequence => [new SequenceScorer(), new AlsScorer(), new PopularityScorer()],
        ScorerChain.AlsSequence => [new BlendScorer(blendWeight), new PopularityScorer()],
        _ => RankingPipeline.DefaultScorers,
    };
}
