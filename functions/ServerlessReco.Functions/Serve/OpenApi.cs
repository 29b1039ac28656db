namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The OpenAPI 3.0 description of the whole HTTP API, written by hand (Serve/openapi.json): the generator
/// packages are not in the project's NuGet source, and a static document costs nothing at cold start.
/// </summary>
public static class OpenApi
{
    public static string Document { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(OpenApi).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded in the handler assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
