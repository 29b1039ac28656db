namespace ServerlessReco.Functions.Worker;

/// <summary>
/// The API as the custom handler runs it (Problem Details, Server-Timing, routing to the shared endpoints), built
/// once; each HTTP function returns it and the worker executes it against the function's HttpContext.
/// </summary>
public sealed class ApiPipeline : IResult
{
    private readonly RequestDelegate _pipeline;

    public ApiPipeline(IServiceProvider services)
    {
        var app = new ApplicationBuilder(services);
        app.UseRecoApi();
        app.UseRouting();
        app.UseEndpoints(endpoints => endpoints.MapRecoApi());
        _pipeline = app.Build();
    }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        // The worker routed the request to the function with its own endpoint; routing skips a request that has one.
        // The API routes it again to the shared endpoint, whose pattern path ids are read against (PathIds).
        httpContext.SetEndpoint(null);
        httpContext.Request.RouteValues.Clear();
        return _pipeline(httpContext);
    }
}
