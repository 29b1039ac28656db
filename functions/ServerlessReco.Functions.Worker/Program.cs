using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ServerlessReco.Functions;
using ServerlessReco.Functions.Worker;

try
{
    using var host = WorkerApp.Build(args);
    // As in the custom handler: a bad setting ends the process with one line naming it.
    host.Services.GetRequiredService<IStartupValidator>().Validate();
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (RecoApi.SettingFailure(e) is { } line)
{
    Console.Error.WriteLine("reco-worker: " + line);
    return 1;
}
