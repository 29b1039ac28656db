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
catch (Exception e) when (SettingFailure(e) is { } line)
{
    Console.Error.WriteLine("reco-handler: " + line);
    return 1;
}

// Validation failures name the setting and its value; a value the binder cannot convert at all (text for a
// number) names them in the binder's own words.
static string? SettingFailure(Exception e) => e switch
{
    OptionsValidationException invalid => string.Join("; ", invalid.Failures),
    AggregateException all when all.InnerExceptions.All(i => i is OptionsValidationException) =>
        string.Join("; ", all.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)),
    InvalidOperationException { InnerException: FormatException or OverflowException } binding => binding.Message,
    _ => null,
};
