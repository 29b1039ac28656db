using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace ServerlessReco.Functions.Worker;

/// <summary>Composition of the isolated worker: the API's services (<see cref="RecoApi"/>) in the Functions host's worker.</summary>
public static class WorkerApp
{
    /// <summary>Builds without starting: the host's connection (HostEndpoint) is needed only by Run.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A storage setting is missing or wrong.</exception>
    public static IHost Build(string[] args, Action<FunctionsApplicationBuilder>? configure = null)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        // HTTP requests reach the functions as ASP.NET Core HttpContexts, which the shared endpoints take.
        builder.ConfigureFunctionsWebApplication();
        configure?.Invoke(builder);
        builder.Services.AddRouting();
        builder.Services.AddRecoApi(builder.Configuration);
        builder.Services.AddSingleton<ApiPipeline>();
        return builder.Build();
    }
}
