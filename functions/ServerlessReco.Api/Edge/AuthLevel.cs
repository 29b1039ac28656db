namespace ServerlessReco.Functions.Edge;

/// <summary>
/// The Functions host's authLevel for an HTTP function, declared on the endpoint: the OpenAPI document states it
/// (x-auth-level), and a test holds each function.json to it.
/// </summary>
public enum AuthLevel
{
    /// <summary>No key: the read side that storefront browsers call.</summary>
    Anonymous,
    /// <summary>A function or host key in x-functions-key (or ?code=): writes and paid services.</summary>
    Function,
}

public static class AuthLevelExtensions
{
    public static TBuilder WithAuthLevel<TBuilder>(this TBuilder builder, AuthLevel level) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(level);

    /// <summary>The function.json spelling.</summary>
    public static string Name(this AuthLevel level) => level switch
    {
        AuthLevel.Anonymous => "anonymous",
        AuthLevel.Function => "function",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };
}
