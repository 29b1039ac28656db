namespace ServerlessReco.Domain;

/// <summary>
/// One product, one id for every market. Translations are attributes of the item (language -> title),
/// never separate items.
/// </summary>
public sealed record CatalogItem
{
    public required string Id { get; init; }
    public string Category { get; init; } = "";
    public string SourceLanguage { get; init; } = "en";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    /// <summary>Market codes where the item is sold.</summary>
    public string[] Markets { get; init; } = [];
    public bool InStock { get; init; } = true;
    public Dictionary<string, decimal>? Prices { get; init; }
    /// <summary>Translated titles by language (BCP 47), filled by TranslateCatalog.</summary>
    public Dictionary<string, string>? Titles { get; init; }
    /// <summary>
    /// Hash of the source language and title that <see cref="Titles"/> were translated from; when the title
    /// changes it no longer matches, and TranslateCatalog translates the new title again.
    /// </summary>
    public string? TitlesSource { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
