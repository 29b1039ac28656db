using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// The OpenAPI document, generated from the endpoints at run time (schemas from the source-generated JSON
/// contexts, so it works under Native AOT). Each operation carries its Functions auth level as x-auth-level.
/// </summary>
public static class ApiDocument
{
    /// <summary>Where the OpenApi function serves it (function route "openapi.json" under the host's "api" prefix).</summary>
    public const string Route = "/api/openapi.json";
    public const string AuthLevelExtension = "x-auth-level";
    /// <summary>On operations whose handler also asks for the shopper's token (README.md, "Access").</summary>
    public const string ShopperTokenExtension = "x-shopper-token";
    private const AuthLevel DocumentAuthLevel = AuthLevel.Anonymous;

    public static IServiceCollection AddApiDocument(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ServerlessReco";
            document.Info.Description = "Recommendations, similar and popular items, event and catalogue ingestion, erasure and translation. "
                + "Operations marked x-auth-level: function need a function key (x-functions-key header or ?code=). "
                + "Operations marked x-shopper-token: true need the shopper's token that the storefront back end mints (Authorization: Bearer <token>).";
            DescribeItself(document);
            return Task.CompletedTask;
        });
        o.AddOperationTransformer(async (operation, context, ct) =>
        {
            // The innermost declaration wins, as with any endpoint metadata.
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<AuthLevel>().ToArray() is not [.., var level])
                throw new InvalidOperationException($"{context.Description.HttpMethod} /{context.Description.RelativePath} declares no auth level (WithAuthLevel).");
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[AuthLevelExtension] = new JsonNodeExtension(JsonValue.Create(level.Name()));
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ShopperTokenRequired>().Any())
                operation.Extensions[ShopperTokenExtension] = new JsonNodeExtension(JsonValue.Create(true));
            DescribePathIds(operation, context.Description.RelativePath ?? "");
            foreach (var values in context.Description.ActionDescriptor.EndpointMetadata.OfType<QueryValues>())
                if (operation.Parameters?.FirstOrDefault(p => p.Name == values.Name && p.In == ParameterLocation.Query) is OpenApiParameter { Schema: OpenApiSchema schema })
                    schema.Enum = [.. values.Allowed.Select(v => (JsonNode)JsonValue.Create(v))];
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<JsonBody>().LastOrDefault() is { } body)
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, ct) } },
                };
            }
        });
    });

    /// <summary>
    /// Documents a JSON body that the handler reads itself, and refuses (415) any request whose Content-Type is
    /// not JSON in UTF-8, a missing one included. Forms and text/plain are what a browser may post cross-site
    /// without a CORS preflight; taking only JSON makes every cross-site write ask first. Not Accepts&lt;T&gt;:
    /// routing's 415 would come without a word on what to send.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new JsonBody(typeof(T))).AddEndpointFilter(static (context, next) =>
            IsJson(context.HttpContext.Request.ContentType) ? next(context) : ValueTask.FromResult<object?>(Problems.Invalid(
                StatusCodes.Status415UnsupportedMediaType, "Content-Type",
                $"The body must be sent as application/json (UTF-8), not {(string.IsNullOrEmpty(context.HttpContext.Request.ContentType) ? "without a Content-Type" : "as " + Truncate(context.HttpContext.Request.ContentType))}.")));

    private static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static string Truncate(string text) => text.Length > 60 ? text[..60] + "..." : text;

    private sealed record JsonBody(Type Type);

    /// <summary>Declares that the handler checks a shopper token on this endpoint, for the document.</summary>
    public static TBuilder RequiresShopperToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ShopperTokenRequired());

    private sealed record ShopperTokenRequired;

    /// <summary>Declares the values a string query parameter accepts, for the document (the handler validates them itself).</summary>
    public static TBuilder WithQueryValues<TBuilder>(this TBuilder builder, string name, IReadOnlyList<string> allowed) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryValues(name, allowed));

    private sealed record QueryValues(string Name, IReadOnlyList<string> Allowed);

    public static IEndpointConventionBuilder MapApiDocument(this IEndpointRouteBuilder app) =>
        app.MapOpenApi(Route).WithAuthLevel(DocumentAuthLevel);

    /// <summary>Path ids are read from the raw target (<see cref="PathIds"/>), not bound, so the generator does not see them.</summary>
    private static void DescribePathIds(OpenApiOperation operation, string relativePath)
    {
        foreach (var segment in relativePath.Split('/'))
        {
            if (segment is not ['{', .., '}']) continue;
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = segment.Trim('{', '}', '*'),
                In = ParameterLocation.Path,
                Required = true,
                Description = "Any characters; '/' may be sent raw or as %2F. Decoded once.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ServerlessReco.Ingest.InputRules.MaxIdLength },
            });
        }
    }

    /// <summary>The generator leaves its own endpoint out; it is a function like any other, so it is listed too.</summary>
    private static void DescribeItself(OpenApiDocument document)
    {
        document.Paths ??= [];
        document.Paths[Route] = new OpenApiPathItem
        {
            Operations = new()
            {
                [HttpMethod.Get] = new OpenApiOperation
                {
                    Summary = "This document",
                    Extensions = new Dictionary<string, IOpenApiExtension> { [AuthLevelExtension] = new JsonNodeExtension(JsonValue.Create(DocumentAuthLevel.Name())) },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse { Description = "The OpenAPI document", Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() } },
                    },
                },
            },
        };
    }
}
