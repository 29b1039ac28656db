using System.Text.Json;
using ServerlessReco.Domain;

namespace ServerlessReco.Ingest;

public readonly record struct ItemValidation(CatalogItem? Item, string? Id, Dictionary<string, string[]>? Errors);

/// <summary>A stock/availability change: <see cref="Markets"/> replaces the list, the other two edit it.</summary>
public sealed record ItemPatch(bool? InStock, string[]? Markets, string[]? AddMarkets, string[]? RemoveMarkets)
{
    public CatalogItem ApplyTo(CatalogItem item, DateTimeOffset now)
    {
        var markets = Markets ?? item.Markets;
        if (AddMarkets is not null) markets = markets.Union(AddMarkets, StringComparer.OrdinalIgnoreCase).ToArray();
        if (RemoveMarkets is not null) markets = markets.Except(RemoveMarkets, StringComparer.OrdinalIgnoreCase).ToArray();
        return item with { InStock = InStock ?? item.InStock, Markets = markets, UpdatedAt = now };
    }
}

/// <summary>Checks catalogue input (raw JSON) field by field, with the same rules for ids and text as events. Pure.</summary>
public static class ItemValidator
{
    public const int MaxCategoryLength = 256;
    public const int MaxTitleLength = 1_000;
    public const int MaxDescriptionLength = 10_000;

    public static ItemValidation Validate(JsonElement record, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        if (record.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", "must be a JSON object");
            return new ItemValidation(null, null, errors.ToDictionary());
        }
        if (!InputRules.HasReadableNames(record, errors)) return new ItemValidation(null, null, errors.ToDictionary());

        var id = InputRules.Id(record, "id", errors);
        var category = InputRules.String(record, "category", errors, required: false, MaxCategoryLength);
        var title = InputRules.String(record, "title", errors, required: true, MaxTitleLength);
        // Descriptions are prose: line breaks and tabs are content, other controls are not.
        var description = InputRules.String(record, "description", errors, required: false, MaxDescriptionLength, allowLineBreaks: true);

        var sourceLanguage = InputRules.String(record, "sourceLanguage", errors, required: true, maxLength: 64);
        if (sourceLanguage is not null && !InputRules.IsWellFormedLanguageTag(sourceLanguage))
            errors.Add("sourceLanguage", "must be a well-formed BCP 47 language tag such as en or de-AT");

        // An item sold nowhere can never be recommended: an empty list is a client that forgot to fill it in. A
        // PATCH may still empty the list on purpose, to withdraw an item everywhere.
        var markets = InputRules.MarketList(record, "markets", errors, required: true, allowEmpty: false);
        var inStock = Bool(record, "inStock", errors) ?? true;
        var prices = Prices(record, errors);

        if (errors.Any)
            return new ItemValidation(null, id, errors.ToDictionary());
        return new ItemValidation(new CatalogItem
        {
            Id = id!,
            Category = category ?? "",
            SourceLanguage = sourceLanguage!,
            Title = title!,
            Description = description ?? "",
            Markets = markets!,
            InStock = inStock,
            Prices = prices,
            UpdatedAt = now,
        }, id, null);
    }

    public static (ItemPatch? Patch, Dictionary<string, string[]>? Errors) ValidatePatch(JsonElement record)
    {
        var errors = new FieldErrors();
        if (record.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", "must be a JSON object");
            return (null, errors.ToDictionary());
        }
        if (!InputRules.HasReadableNames(record, errors)) return (null, errors.ToDictionary());
        var inStock = Bool(record, "inStock", errors);
        var markets = InputRules.MarketList(record, "markets", errors, required: false);
        var add = InputRules.MarketList(record, "addMarkets", errors, required: false);
        var remove = InputRules.MarketList(record, "removeMarkets", errors, required: false);
        if (markets is not null && (add is not null || remove is not null))
            errors.Add("markets", "replaces the whole list: send either markets or addMarkets/removeMarkets, not both");
        if (add is not null && remove is not null && add.Intersect(remove).FirstOrDefault() is { } both)
            errors.Add("addMarkets", $"{both} is both added and removed");
        foreach (var property in record.EnumerateObject())
            if (property.Name is not ("inStock" or "markets" or "addMarkets" or "removeMarkets"))
                errors.Add(InputRules.HasControlCharacters(property.Name) || property.Name.Length > 40 ? "$" : property.Name, "cannot be changed here: only inStock, markets, addMarkets and removeMarkets (PUT /api/items replaces an item)");
        if (!errors.Any && inStock is null && markets is null && add is null && remove is null)
            errors.Add("$", "names nothing to change: send inStock, markets, addMarkets or removeMarkets");
        return errors.Any ? (null, errors.ToDictionary()) : (new ItemPatch(inStock, markets, add, remove), null);
    }

    private static bool? Bool(JsonElement record, string field, FieldErrors errors)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        errors.Add(field, "must be true or false");
        return null;
    }

    private static Dictionary<string, decimal>? Prices(JsonElement record, FieldErrors errors)
    {
        if (!record.TryGetProperty("prices", out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add("prices", "must be an object of market code to price");
            return null;
        }
        var prices = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!InputRules.TryGetName(property, out var name))
            {
                errors.Add("prices", "a key " + InputRules.NotUnicode);
                continue;
            }
            var market = InputRules.Market(name);
            if (market is null)
            {
                errors.Add("prices", (InputRules.HasControlCharacters(name) || name.Length > 8 ? "a key" : $"'{name}'") + " is not a known market code");
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDecimal(out var price))
                errors.Add("prices", $"{market}: must be a number within decimal range");
            else if (price < 0)
                errors.Add("prices", $"{market}: must not be negative");
            else
                prices[market] = price;
        }
        return prices;
    }
}
