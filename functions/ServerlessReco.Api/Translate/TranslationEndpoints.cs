using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;
using ServerlessReco.Translate;

namespace ServerlessReco.Functions.Translate;

/// <summary>
/// POST /api/translate (function Translate, HTTP pass-through) and POST /TranslateCatalog (timer trigger,
/// custom-handler invocation contract).
/// </summary>
public static class TranslationEndpoints
{
    public const int MaxTexts = 100;
    public const int MaxTextLength = 5_000;
    public const int MaxTargetLanguages = 10;
    /// <summary>Room for <see cref="MaxTexts"/> texts of <see cref="MaxTextLength"/> characters even if every one is escaped (\uXXXX, 6 bytes).</summary>
    public const int MaxBytesPerRequest = 4 * 1024 * 1024;

    public static IServiceCollection AddTranslation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TranslatorOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TranslatorOptions>, HandlerOptionsValidator>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, TranslateJsonContext.Default));
        services.AddSingleton<TranslationService>();
        return services;
    }

    public static RouteGroupBuilder MapTranslation(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithAuthLevel(AuthLevel.Function).WithTags("Translation");
        // The body is read by hand so that malformed JSON is answered with the expected shape.
        api.MapPost("/translate", TranslateAsync).AcceptsJsonBody<TranslateRequest>().ProducesProblems(400, 413, 415, 502, 503);
        // The timer trigger: the Functions host posts each invocation to /{function name}.
        app.MapPost("/TranslateCatalog", TranslateCatalogAsync).ExcludeFromDescription();
        return api;
    }

    private static async Task<Results<Ok<TranslateResponse>, ProblemHttpResult>> TranslateAsync(HttpRequest request, TranslationService service, CancellationToken ct)
    {
        if (await RequestHelpers.ReadBoundedAsync(request, MaxBytesPerRequest, ct) is not { } bytes)
            return Problems.TooLarge($"{MaxTexts} texts of {MaxTextLength:N0} characters ({MaxBytesPerRequest / 1024 / 1024} MiB)");
        TranslateRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(bytes.Span, TranslateJsonContext.Default.TranslateRequest);
        }
        catch (JsonException e)
        {
            // The serializer reports where it stopped (an escaped lone surrogate in "to" fails at $.to[1]): the
            // member it was reading is the field at fault, the body itself when it stopped at the top.
            var field = e.Path is ['$', '.', .. var rest] ? rest.Split('.', '[')[0] : "$";
            return Problems.Invalid(field, $"The body cannot be read at {e.Path ?? "$"} (not JSON, a wrong type, or text escaping a lone surrogate): {e.Message} Expected {{\"texts\": [\"...\"], \"to\": [\"de\", \"fr\"], \"from\": \"en\"}}.");
        }
        if (Validate(body) is { } errors)
            return Problems.Invalid(errors, "The translation request is not valid");

        // Reading the service only after validation keeps 400s independent of configuration.
        if (service.CreateTranslator() is not { } translator)
        {
            return Problems.Unavailable("Translation is disabled",
                $"{service.DisabledReason}. Set {TranslatorSettings.KeyVariable} (and {TranslatorSettings.RegionVariable}, optionally {TranslatorSettings.EndpointVariable}) in the app settings to enable it.");
        }

        var texts = body!.Texts!.Select(t => t!).ToList();
        var to = body.To!.Select(t => t!.Trim()).ToList();
        IReadOnlyList<IReadOnlyDictionary<string, string>> translations;
        try
        {
            translations = await translator.TranslateAsync(texts, to, body.From?.Trim(), ct);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status400BadRequest)
        {
            // The service rejects what it alone knows, e.g. a well-formed but unsupported language code.
            return Problems.Status(StatusCodes.Status400BadRequest, "The Translator service rejected the request", e.Message);
        }
        catch (RequestFailedException e)
        {
            return Problems.Status(StatusCodes.Status502BadGateway, "The Translator service failed", e.Message);
        }

        var items = texts.Select((text, i) => new TranslatedItem(text, translations[i])).ToList();
        return TypedResults.Ok(new TranslateResponse(items, new CacheCounts(translator.Hits, translator.Misses)));
    }

    /// <summary>Null when valid; otherwise field -> messages for a validation problem.</summary>
    private static Dictionary<string, string[]>? Validate(TranslateRequest? body)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is null)
            return new() { ["body"] = ["A JSON object {\"texts\": [...], \"to\": [...]} is required."] };

        if (body.Texts is not { Count: >= 1 and <= MaxTexts } texts)
            errors["texts"] = [$"Give 1 to {MaxTexts} texts; got {body.Texts?.Count ?? 0}."];
        else
        {
            var problems = texts.Select((t, i) => t switch
            {
                null => $"texts[{i}] is null.",
                _ when string.IsNullOrWhiteSpace(t) => $"texts[{i}] is empty.",
                _ when t.Length > MaxTextLength => $"texts[{i}] has {t.Length} characters; at most {MaxTextLength} are allowed.",
                _ => null,
            }).OfType<string>().ToArray();
            if (problems.Length > 0) errors["texts"] = problems;
        }

        if (body.To is not { Count: >= 1 and <= MaxTargetLanguages } to)
            errors["to"] = [$"Give 1 to {MaxTargetLanguages} target languages; got {body.To?.Count ?? 0}."];
        else
        {
            var problems = to.Select((t, i) => t is not null && InputRules.IsWellFormedLanguageTag(t.Trim()) ? null : $"to[{i}] '{t}' is not a BCP 47 language code such as 'de', 'pt-BR' or 'zh-Hans'.")
                .OfType<string>().ToArray();
            if (problems.Length > 0) errors["to"] = problems;
        }

        if (body.From is not null && !InputRules.IsWellFormedLanguageTag(body.From.Trim()))
            errors["from"] = [$"'{body.From}' is not a BCP 47 language code; leave it out to have the language detected."];
        return errors.Count > 0 ? errors : null;
    }

    private static async Task<JsonHttpResult<InvocationResult>> TranslateCatalogAsync(TranslationService service, DataStore store, ILoggerFactory loggers, CancellationToken ct)
    {
        // The body ({"Data": {"timer": ...}, "Metadata": ...}) carries nothing this function needs: every run scans the whole catalogue.
        var (line, returnValue) = await TranslateCatalogOnceAsync(service, store, loggers.CreateLogger("TranslateCatalog"), ct);
        return TypedResults.Json(new InvocationResult([], [line], returnValue), TranslateJsonContext.Default.InvocationResult);
    }

    /// <summary>One run of the TranslateCatalog timer, for both hosts: the summary line it logged and the report (why it was skipped, when it was).</summary>
    public static async Task<(string Line, JsonNode? Report)> TranslateCatalogOnceAsync(TranslationService service, DataStore store, ILogger logger, CancellationToken ct)
    {
        if (service.CreateTranslator() is not { } translator)
        {
            logger.LogWarning("TranslateCatalog skipped: {Reason}", service.DisabledReason);
            return ($"TranslateCatalog skipped: {service.DisabledReason}", new JsonObject { ["disabled"] = service.DisabledReason });
        }
        var report = await CatalogTranslation.RunAsync(store.Catalog, translator, ct);
        var line = $"TranslateCatalog: {report.Items} items read, {report.UpdatedItems} updated ({report.RetranslatedItems} after a title change), " +
                   $"{report.Titles} titles added; cache {report.CacheHits} hits, {report.CacheMisses} misses";
        logger.LogInformation("{Summary}", line);
        return (line, JsonSerializer.SerializeToNode(report, TranslateJsonContext.Default.CatalogTranslationReport));
    }
}
