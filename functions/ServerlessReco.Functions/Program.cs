using Microsoft.Extensions.Options;
using ServerlessReco.Functions;

try
{
    var app = HandlerApp.Build(args);
    // Checked before the host starts, so that a bad setting ends the process with its one line below instead of
    // the host's "failed to start" log and stack trace.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (RecoApi.SettingFailure(e) is { } line)
{
    Console.Error.WriteLine("reco-handler: " + line);
    return 1;
}
