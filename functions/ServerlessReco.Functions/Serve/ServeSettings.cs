using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Rank;

namespace ServerlessReco.Functions.Serve;

/// <summary>Serving configuration, read once from app settings (environment variables in Azure).</summary>
public sealed record ServeSettings
{
    public TimeSpan ModelPollInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How often the catalogue change feed is read for other instances' writes.</summary>
    public TimeSpan CatalogPollInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// How often the whole items table is read again anyway: covers a write whose feed row was never recorded
    /// (the writer failed between the item and the feed, and nobody retried).
    /// </summary>
    public TimeSpan CatalogReconcileInterval { get; init; } = TimeSpan.FromHours(6);
    /// <summary>How long the change feed keeps rows; must match the snapshot job's --retention-hours.</summary>
    public TimeSpan CatalogFeedRetention { get; init; } = CatalogChangeFeed.DefaultRetention;
    /// <summary>Categories whose items may be recommended again after a purchase (consumables).</summary>
    public HashSet<string> RepeatPurchaseCategories { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>
    /// Weight of content-embedding cosine in similar items when the model has embeddings; 0 = behavioural
    /// (item-factor) cosine only. Items nobody interacted with are always similar by content alone.
    /// </summary>
    public float SimilarContentWeight { get; init; } = RankingOptions.DefaultSimilarContentWeight;
    /// <summary>"raw id:market" pairs printed as example requests once the first model loads (RECO_DEMO_EXAMPLES=demo).</summary>
    public List<(string User, string Market)> DemoUsers { get; init; } = [];

    public static ServeSettings From(IConfiguration config) => new()
    {
        ModelPollInterval = TimeSpan.FromSeconds(Positive(config["RECO_MODEL_POLL_SECONDS"], 10)),
        CatalogPollInterval = TimeSpan.FromSeconds(Positive(config["RECO_CATALOG_POLL_SECONDS"], 5)),
        CatalogReconcileInterval = TimeSpan.FromMinutes(Positive(config["RECO_CATALOG_RECONCILE_MINUTES"], 360)),
        CatalogFeedRetention = TimeSpan.FromHours(Positive(config["RECO_CATALOG_FEED_RETENTION_HOURS"], CatalogChangeFeed.DefaultRetention.TotalHours)),
        RepeatPurchaseCategories = new((config["RECO_REPEAT_PURCHASE_CATEGORIES"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase),
        SimilarContentWeight = float.TryParse(config["RECO_SIMILAR_CONTENT_WEIGHT"], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
            ? Math.Clamp(w, 0f, 1f) : RankingOptions.DefaultSimilarContentWeight,
        DemoUsers = config["RECO_DEMO_EXAMPLES"] == "demo"
            ? [.. (config["RECO_DEMO_USERS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pair => pair.Split(':'))
                .Where(parts => parts.Length == 2)
                .Select(parts => (parts[0], parts[1]))]
            : [],
    };

    private static double Positive(string? text, double fallback) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : fallback;
}
