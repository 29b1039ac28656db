using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Ingest;
using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Operator;

/// <summary>
/// The JSON the storefront preview and the operator console read (pages in web/, served by <see cref="WebPages"/>).
/// Everything here is operator data or opens a shopper's recommendations, so every function needs a function key at
/// the host, as the rest of the write side does (README.md, "Access").
/// </summary>
public static class OperatorEndpoints
{
    public const int MaxVersions = 30;
    public const int MaxRecentDeadLetters = 20;
    public const int DeadLetterDays = 14;
    public const int MaxRawShown = 400;
    public const int MaxExamples = 20;
    /// <summary>Long enough for a preview session; the storefront back end's own tokens follow its sessions.</summary>
    public const double DefaultTokenHours = 1;
    public const double MaxTokenHours = 24;
    private const int MaxTokenRequestBytes = 4 * 1024;

    public static IServiceCollection AddOperator(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, OperatorJsonContext.Default));
        services.AddSingleton<IngestionTally>();
        return services;
    }

    public static RouteGroupBuilder MapOperator(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/console").WithAuthLevel(AuthLevel.Function).WithTags("Console");
        api.MapGet("/storefront", Storefront);
        api.MapPost("/shopper-tokens", ShopperTokenAsync).AcceptsJsonBody<ShopperTokenRequest>().ProducesProblems(400, 413, 415);
        api.MapGet("/models", ModelsAsync).ProducesProblems(503);
        api.MapGet("/ingestion", IngestionAsync).ProducesProblems(503);
        api.MapGet("/catalog", Catalog);
        api.MapGet("/online", OnlineAsync).ProducesProblems(503);
        return api;
    }

    /// <summary>What the preview offers: every market with its languages, and the demo's real shoppers.</summary>
    private static Ok<StorefrontSetup> Storefront(ModelWatcher models, ServeOptions settings)
    {
        var inModel = models.Current?.Artifacts.PopularityMarkets.ToHashSet(StringComparer.Ordinal) ?? [];
        return TypedResults.Ok(new StorefrontSetup(
            [.. Markets.Known.Select(m => new StorefrontMarket(m.Code, m.Languages, m.Currency, inModel.Contains(m.Code)))],
            [.. settings.DemoShoppers.Select(s => new DemoShopper(s.User, s.Market))]));
    }

    /// <summary>
    /// A shopper token, as the storefront back end mints it: the preview page holds the function key (an operator's
    /// page), never the secret, and asks here for the shopper it previews.
    /// </summary>
    private static async Task<Results<Ok<ShopperTokenResponse>, ProblemHttpResult>> ShopperTokenAsync(
        HttpRequest request, ShopperTokens tokens, TimeProvider time, CancellationToken ct)
    {
        if (await RequestHelpers.ReadBoundedAsync(request, MaxTokenRequestBytes, ct) is not { } bytes)
            return Problems.TooLarge($"{MaxTokenRequestBytes / 1024} KiB");
        ShopperTokenRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(bytes.Span, OperatorJsonContext.Default.ShopperTokenRequest);
        }
        catch (JsonException e)
        {
            var field = e.Path is ['$', '.', .. var rest] ? rest.Split('.', '[')[0] : "$";
            return Problems.Invalid(field, $"The body cannot be read at {e.Path ?? "$"}: expected {{\"userId\": \"14911\", \"hours\": 1}}.");
        }
        if (body?.UserId is not { } userId) return Problems.Invalid("userId", "userId is required: the shop's raw id of the shopper to preview.");
        if (!InputRules.IsValidId(userId, out var rule)) return Problems.Invalid("userId", $"userId {rule}.");
        double hours = body.Hours ?? DefaultTokenHours;
        if (!double.IsFinite(hours) || hours <= 0 || hours > MaxTokenHours)
            return Problems.Invalid("hours", $"hours must be more than 0 and at most {MaxTokenHours.ToString(CultureInfo.InvariantCulture)}.");
        var expires = time.GetUtcNow().AddHours(hours);
        return TypedResults.Ok(new ShopperTokenResponse(userId, tokens.Mint(userId, expires), expires));
    }

    /// <summary>Every version's manifest (newest first) with its offline evaluation, and which one this instance serves.</summary>
    private static async Task<Results<Ok<ModelsResponse>, ProblemHttpResult>> ModelsAsync(ModelWatcher models, DataStore store, ILoggerFactory logs, CancellationToken ct)
    {
        try
        {
            var published = await store.Models.ReadCurrentAsync(ct);
            var names = (await store.Models.ListVersionsAsync(ct)).OrderDescending(StringComparer.Ordinal).Take(MaxVersions).ToList();
            var manifests = await Task.WhenAll(names.Select(async name =>
            {
                try
                {
                    return (name, Manifest: await store.Models.ReadManifestAsync(name, ct));
                }
                catch (JsonException)
                {
                    return (name, Manifest: (ModelManifest?)null);
                }
            }));
            var serving = models.Current?.Version;
            var challenger = models.Served?.Challenger?.Version;
            var experiment = published?.Experiment;
            var versions = manifests.Where(m => m.Manifest is not null).Select(m => m.Manifest!)
                .OrderByDescending(m => m.CreatedAt)
                .Select(m => new ModelVersionInfo(m.Version, m.Version == serving, m.CreatedAt, m.TrainedUntil, m.BaseVersion, m.Counts, m.Metrics, m.Training, m.Encoder, m.Evaluation,
                    m.Version == challenger, experiment?.Version == m.Version ? experiment : null))
                .ToList();
            return TypedResults.Ok(new ModelsResponse(serving, published, models.LastLoadError, versions, [.. manifests.Where(m => m.Manifest is null).Select(m => m.name)], challenger));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return StorageUnavailable(logs, "model versions", e);
        }
    }

    /// <summary>
    /// The newest stored online report (what `online-report` wrote last). None yet is a normal state of a new
    /// deployment, not a missing resource: a 200 without a report, so the page can say so instead of failing.
    /// </summary>
    private static async Task<Results<Ok<OnlineResponse>, ProblemHttpResult>> OnlineAsync(DataStore store, ILoggerFactory logs, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(new OnlineResponse(await new OnlineReportStore(store.Blobs).ReadLatestAsync(ct)));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return StorageUnavailable(logs, "online report", e);
        }
    }

    /// <summary>
    /// This instance's counts per minute, every instance's dead letters per day, and the newest letters with their
    /// reasons (read from storage: what ingestion keeps of every rejected event).
    /// </summary>
    private static async Task<Results<Ok<IngestionResponse>, ProblemHttpResult>> IngestionAsync(
        IngestionTally tally, DataStore store, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        try
        {
            var letters = new DeadLetterStore(store.Blobs);
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            var days = await Task.WhenAll(Enumerable.Range(0, DeadLetterDays).Select(async back =>
            {
                var day = today.AddDays(-back);
                return (Day: day, Paths: await letters.ListDayAsync(day, ct));
            }));
            // Days and the names within a day are newest first: only the letters shown are read.
            var candidates = days.SelectMany(d => d.Paths).Take(MaxRecentDeadLetters).ToList();
            var read = await Task.WhenAll(candidates.Select(async path => (Path: path, Letter: await letters.ReadAsync(path, ct))));
            var recent = read.Where(r => r.Letter is not null)
                .OrderByDescending(r => r.Letter!.ReceivedAt)
                .Take(MaxRecentDeadLetters)
                .Select(r => new RecentDeadLetter(r.Path, r.Letter!.ReceivedAt, r.Letter.Source, r.Letter.Reasons,
                    r.Letter.Raw.Length > MaxRawShown ? r.Letter.Raw[..MaxRawShown] + "..." : r.Letter.Raw, r.Letter.RawEncoding))
                .ToList();
            return TypedResults.Ok(new IngestionResponse(tally.Since, tally.Snapshot(), [.. days.Select(d => new DeadLettersOnDay(d.Day, d.Paths.Count))], recent));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return StorageUnavailable(logs, "dead letters", e);
        }
    }

    /// <summary>The catalogue as this instance serves it: items, titles per language, and what still lacks a translation.</summary>
    private static Ok<CatalogResponse> Catalog(CatalogCache catalog, ModelWatcher models)
    {
        var model = models.Current;
        var languages = new Dictionary<string, (int Items, int Translated, int Missing)>(StringComparer.OrdinalIgnoreCase);
        int items = 0, inStock = 0, inModel = 0, without = 0;
        var examples = new List<string>();
        foreach (var item in catalog.Items)
        {
            items++;
            if (item.InStock) inStock++;
            if (model?.ItemIndex.ContainsKey(item.Id) == true) inModel++;
            Count(item.SourceLanguage, translated: false);
            foreach (var language in item.Titles?.Keys ?? (IEnumerable<string>)[]) Count(language, translated: true);
            // What TranslateCatalog would still add: a language of a market the item is sold in, other than its own.
            bool missing = false;
            foreach (var language in Markets.LanguagesOf(item.Markets))
            {
                if (string.Equals(language, item.SourceLanguage, StringComparison.OrdinalIgnoreCase) || item.Titles?.ContainsKey(language) == true) continue;
                var entry = languages.GetValueOrDefault(language);
                languages[language] = entry with { Missing = entry.Missing + 1 };
                missing = true;
            }
            if (!missing) continue;
            without++;
            if (examples.Count < MaxExamples) examples.Add(item.Id);
        }
        return TypedResults.Ok(new CatalogResponse(items, inStock, inModel, catalog.LoadedAt,
            [.. languages.OrderByDescending(l => l.Value.Items).ThenBy(l => l.Key, StringComparer.Ordinal).Select(l => new CatalogLanguage(l.Key, l.Value.Items, l.Value.Translated, l.Value.Missing))],
            without, examples));

        void Count(string language, bool translated)
        {
            var entry = languages.GetValueOrDefault(language);
            languages[language] = entry with { Items = entry.Items + 1, Translated = entry.Translated + (translated ? 1 : 0) };
        }
    }

    private static ProblemHttpResult StorageUnavailable(ILoggerFactory logs, string what, Exception e)
    {
        // The exception names the storage account: it belongs in the log, not in an answer.
        logs.CreateLogger(typeof(OperatorEndpoints).FullName!).LogWarning(e, "Reading the {What} for the console failed", what);
        return Problems.Unavailable("Storage unavailable", $"Reading the {what} from storage failed: try again shortly.");
    }
}
