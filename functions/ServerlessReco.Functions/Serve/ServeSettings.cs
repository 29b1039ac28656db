using System.Globalization;

namespace ServerlessReco.Functions.Serve;

/// <summary>Serving configuration, read once from app settings (environment variables in Azure).</summary>
public sealed record ServeSettings
{
    public TimeSpan ModelPollInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CatalogRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Categories whose items may be recommended again after a purchase (consumables).</summary>
    public HashSet<string> RepeatPurchaseCategories { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>
    /// Weight of content-embedding cosine in similar items when the model has embeddings; 0 = behavioural
    /// (item-factor) cosine only. Items nobody interacted with are always similar by content alone.
    /// </summary>
    public float SimilarContentWeight { get; init; } = DefaultSimilarContentWeight;

    public const float DefaultSimilarContentWeight = 0.3f;
    /// <summary>"raw id:market" pairs printed as example requests once the first model loads (RECO_DEMO_EXAMPLES=demo).</summary>
    public List<(string User, string Market)> DemoUsers { get; init; } = [];

    public static ServeSettings From(IConfiguration config) => new()
    {
        ModelPollInterval = TimeSpan.FromSeconds(Seconds(config["RECO_MODEL_POLL_SECONDS"], 10)),
        CatalogRefreshInterval = TimeSpan.FromSeconds(Seconds(config["RECO_CATALOG_REFRESH_SECONDS"], 30)),
        RepeatPurchaseCategories = new((config["RECO_REPEAT_PURCHASE_CATEGORIES"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase),
        SimilarContentWeight = float.TryParse(config["RECO_SIMILAR_CONTENT_WEIGHT"], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
            ? Math.Clamp(w, 0f, 1f) : DefaultSimilarContentWeight,
        DemoUsers = config["RECO_DEMO_EXAMPLES"] == "demo"
            ? [.. (config["RECO_DEMO_USERS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pair => pair.Split(':'))
                .Where(parts => parts.Length == 2)
                .Select(parts => (parts[0], parts[1]))]
            : [],
    };

    private static double Seconds(string? text, double fallback) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : fallback;
}
