using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ServerlessReco.Functions.Edge;

/// <summary>
/// The one error shape of the API: RFC 9457 Problem Details with type, title, status, detail and traceId, plus
/// errors (field -> messages) when the request's input is at fault. The handlers' own problems and the ones
/// the framework writes (unknown routes, wrong methods, binding failures, unhandled exceptions) all pass
/// through <see cref="Complete"/>, so a client parses one schema for every 4xx and 5xx.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemHttpResult Invalid(string field, string detail) =>
        Invalid(new Dictionary<string, string[]> { [field] = [detail] }, $"Invalid {field}", detail);

    /// <summary>A 4xx other than 400 that one field of the request is at fault for (415 names Content-Type).</summary>
    public static ProblemHttpResult Invalid(int status, string field, string detail) =>
        Invalid(new Dictionary<string, string[]> { [field] = [detail] }, $"Invalid {field}", detail, status);

    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors, string title, string? detail = null, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = status,
            Title = title,
            Detail = detail ?? string.Join(" ", errors.SelectMany(e => e.Value.Select(message => $"{e.Key}: {message}."))),
        });

    /// <summary>A 400 for a body that cannot be read at all; field-level faults go through <see cref="Invalid(string, string)"/>.</summary>
    public static ProblemHttpResult BadRequest(string detail) => Status(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string title, string detail) => Status(StatusCodes.Status404NotFound, title, detail);

    public static ProblemHttpResult TooLarge(string limit) =>
        Status(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The limit is {limit} per request; split the batch.");

    public static ProblemHttpResult Unavailable(string title, string detail) => Status(StatusCodes.Status503ServiceUnavailable, title, detail);

    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>The longest request target answered: ids are at most 256 characters, so a longer target is a mistake or abuse.</summary>
    public const int MaxTargetLength = 8 * 1024;

    /// <summary>
    /// Kestrel's own limit on the request line, above <see cref="MaxTargetLength"/> so that a long target reaches
    /// the app and gets a Problem Details 414; Kestrel answers what exceeds this itself, without a body.
    /// </summary>
    private const int KestrelRequestLineLimit = 64 * 1024;

    /// <summary>
    /// Registers the writer every problem goes through, including the framework's, which come without a detail
    /// (unknown route, method not allowed) or with the exception's (a binding failure).
    /// </summary>
    public static IServiceCollection AddProblems(this IServiceCollection services)
    {
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestLineSize = KestrelRequestLineLimit);
        // Binding failures throw, so the exception handler writes them with the framework's message naming the
        // parameter, instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(ProblemJsonContext.Default));
        return services.AddProblemDetails(o => o.CustomizeProblemDetails = Complete);
    }

    /// <summary>Problem Details for exceptions (binding failures keep their 4xx) and for bodiless error statuses.</summary>
    public static TApp UseProblems<TApp>(this TApp app) where TApp : IApplicationBuilder
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.Use(static (context, next) =>
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget is { Length: > MaxTargetLength } target
                ? Status(StatusCodes.Status414UriTooLong, "URI too long", $"The request target has {target.Length:N0} characters; at most {MaxTargetLength:N0} are answered.").ExecuteAsync(context)
                : next(context));
        return app;
    }

    private static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Detail ??= context.Exception switch
        {
            BadHttpRequestException bad => bad.Message,
            not null => "The handler failed; the error is logged.",
            null => problem.Status switch
            {
                StatusCodes.Status404NotFound => $"Nothing is at {context.HttpContext.Request.Path}.",
                StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Path} does not accept {context.HttpContext.Request.Method}.",
                _ => problem.Title,
            },
        };
    }

    /// <summary>Declares <paramref name="statuses"/> as Problem Details responses in the OpenAPI document, all with one schema.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(HttpValidationProblemDetails), [ContentType]));
        return builder;
    }
}

/// <summary>The problem types, for the OpenAPI schema (the framework serialises them with its own context).</summary>
[JsonSerializable(typeof(HttpValidationProblemDetails))]
public partial class ProblemJsonContext : JsonSerializerContext;
