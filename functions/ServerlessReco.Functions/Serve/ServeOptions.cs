using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Rank;

namespace ServerlessReco.Functions.Serve;

// Bound under the names deployments already use (app settings in Azure, environment variables locally;
// README.md and infra/main.bicep) and checked at start by Edge/HandlerOptionsValidator.

/// <summary>Serving: model and catalogue polling, shopper tokens, repeat purchases, similar-item blending, demo output.</summary>
public sealed class ServeOptions
{
    public const string ModelPollSecondsKey = "RECO_MODEL_POLL_SECONDS";
    public const string CatalogPollSecondsKey = "RECO_CATALOG_POLL_SECONDS";
    public const string CatalogReconcileMinutesKey = "RECO_CATALOG_RECONCILE_MINUTES";
    public const string CatalogFeedRetentionHoursKey = "RECO_CATALOG_FEED_RETENTION_HOURS";
    public const string SimilarContentWeightKey = "RECO_SIMILAR_CONTENT_WEIGHT";

    [ConfigurationKeyName(ModelPollSecondsKey)]
    public double ModelPollSeconds { get; set; } = 10;

    /// <summary>How often the catalogue change feed is read for other instances' writes.</summary>
    [ConfigurationKeyName(CatalogPollSecondsKey)]
    public double CatalogPollSeconds { get; set; } = 5;

    /// <summary>
    /// How often the whole items table is read again anyway: covers a write whose feed row was never recorded
    /// (the writer failed between the item and the feed, and nobody retried).
    /// </summary>
    [ConfigurationKeyName(CatalogReconcileMinutesKey)]
    public double CatalogReconcileMinutes { get; set; } = 360;

    /// <summary>How long the change feed keeps rows; must match the snapshot job's --retention-hours.</summary>
    [ConfigurationKeyName(CatalogFeedRetentionHoursKey)]
    public double CatalogFeedRetentionHours { get; set; } = CatalogChangeFeed.DefaultRetention.TotalHours;

    /// <summary>Comma-separated categories whose items may be recommended again after a purchase (consumables).</summary>
    [ConfigurationKeyName("RECO_REPEAT_PURCHASE_CATEGORIES")]
    public string RepeatPurchaseCategoryList { get; set; } = "";

    /// <summary>
    /// Weight of content-embedding cosine in similar items when the model has embeddings; 0 = behavioural
    /// (item-factor) cosine only. Items nobody interacted with are always similar by content alone.
    /// </summary>
    [ConfigurationKeyName(SimilarContentWeightKey)]
    public float SimilarContentWeight { get; set; } = RankingOptions.DefaultSimilarContentWeight;

    /// <summary>The secret shopper tokens are minted with (<see cref="ShopperTokens"/>); unset means the development secret.</summary>
    [ConfigurationKeyName(ShopperTokens.SecretVariable)]
    public string? ShopperTokenSecret { get; set; }

    /// <summary>"demo" prints example requests for <see cref="DemoUserList"/> once the first model loads.</summary>
    [ConfigurationKeyName("RECO_DEMO_EXAMPLES")]
    public string? DemoExamples { get; set; }

    /// <summary>Comma-separated "raw id:market" pairs.</summary>
    [ConfigurationKeyName("RECO_DEMO_USERS")]
    public string DemoUserList { get; set; } = "";

    public TimeSpan ModelPollInterval => TimeSpan.FromSeconds(ModelPollSeconds);
    public TimeSpan CatalogPollInterval => TimeSpan.FromSeconds(CatalogPollSeconds);
    public TimeSpan CatalogReconcileInterval => TimeSpan.FromMinutes(CatalogReconcileMinutes);
    public TimeSpan CatalogFeedRetention => TimeSpan.FromHours(CatalogFeedRetentionHours);

    // Read on every request, so parsed once; the binder sets the list before anything reads this.
    public HashSet<string> RepeatPurchaseCategories => field ??=
        new(RepeatPurchaseCategoryList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);

    /// <summary>The shoppers of <see cref="DemoUserList"/>: the storefront preview offers them.</summary>
    public List<(string User, string Market)> DemoShoppers =>
        [.. DemoUserList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split(':'))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[0], parts[1]))];

    /// <summary>Whose example requests are printed once the first model loads.</summary>
    public List<(string User, string Market)> DemoUsers => DemoExamples == "demo" ? DemoShoppers : [];
}
