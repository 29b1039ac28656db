using System.Diagnostics;

namespace ServerlessReco.Tests.Edge;

/// <summary>
/// The handler started as its own process, the way the Functions host starts it: a wrong or missing setting
/// ends it at once with exit code 1 and one line on stderr naming the setting.
/// </summary>
public class StartupSettingsTests
{
    public static TheoryData<string, string, string> WrongSettings => new()
    {
        { "RECO_MODEL_POLL_SECONDS", "-5", "reco-handler: RECO_MODEL_POLL_SECONDS must be a positive number up to 1000000, not '-5'" },
        { "RECO_MODEL_POLL_SECONDS", "abc", "reco-handler: Failed to convert configuration value 'abc' at 'RECO_MODEL_POLL_SECONDS' to type 'System.Double'." },
        { "RECO_CATALOG_RECONCILE_MINUTES", "0", "reco-handler: RECO_CATALOG_RECONCILE_MINUTES must be a positive number up to 1000000, not '0'" },
        { "RECO_ACTIVITY_POLL_SECONDS", "0", "reco-handler: RECO_ACTIVITY_POLL_SECONDS must be a positive number up to 1000000, not '0'" },
        { "RECO_SIMILAR_CONTENT_WEIGHT", "1.5", "reco-handler: RECO_SIMILAR_CONTENT_WEIGHT must be a number from 0 to 1, not '1.5'" },
        { "RECO_STRATEGY", "deep", "reco-handler: RECO_STRATEGY must be one of als, sequence, als+sequence, not 'deep'" },
        { "RECO_SEQUENCE_BLEND_WEIGHT", "-0.5", "reco-handler: RECO_SEQUENCE_BLEND_WEIGHT must be a number from 0 to 1, not '-0.5'" },
        { "RECO_INGEST_STORAGE_TIMEOUT_SECONDS", "-1", "reco-handler: RECO_INGEST_STORAGE_TIMEOUT_SECONDS must be a positive number up to 1000000, not '-1'" },
        { "RECO_INGEST_WRITE_BUDGET_SECONDS", "0", "reco-handler: RECO_INGEST_WRITE_BUDGET_SECONDS must be a positive number up to 1000000, not '0'" },
        { "RECO_INGEST_WRITE_BUDGET_SECONDS", "90", "reco-handler: RECO_INGEST_WRITE_BUDGET_SECONDS must be at most RECO_INGEST_STORAGE_TIMEOUT_SECONDS (60), not '90'" },
        { "RECO_INGEST_MAX_EVENT_AGE_DAYS", "many", "reco-handler: Failed to convert configuration value 'many' at 'RECO_INGEST_MAX_EVENT_AGE_DAYS' to type 'System.Double'." },
        { "RECO_PSEUDONYM_KEY", "short", "reco-handler: RECO_PSEUDONYM_KEY must be at least 16 characters, not 5" },
        { "RECO_SHOPPER_TOKEN_SECRET", "short", "reco-handler: RECO_SHOPPER_TOKEN_SECRET must be at least 32 characters, not 5" },
        { "RECO_ENCODER_DIR", "/no/such/encoder", "reco-handler: RECO_ENCODER_DIR must be a folder holding model.onnx (./reco jobs install-encoder --output DIR), not '/no/such/encoder'" },
        { "RECO_STORAGE_PREFIX", "Bad-Prefix", "reco-handler: RECO_STORAGE_PREFIX must start with a lower-case letter and hold at most 20 lower-case letters and digits, not 'Bad-Prefix'" },
        { "RECO_STORAGE_CONNECTION_STRING", "", "reco-handler: RECO_STORAGE_CONNECTION_STRING (or AzureWebJobsStorage) must be set to a storage connection string" },
        { "TRANSLATOR_ENDPOINT", "http://translator.example", "reco-handler: translation disabled: TRANSLATOR_ENDPOINT 'http://translator.example' is not an absolute https URL" },
    };

    [Theory]
    [MemberData(nameof(WrongSettings))]
    public async Task A_wrong_or_missing_setting_stops_the_handler_with_one_line_naming_it(string name, string value, string line)
    {
        var (exitCode, stderr) = await RunAsync(Path.Combine(AppContext.BaseDirectory, "reco-handler.dll"), new() { [name] = value, ["TRANSLATOR_KEY"] = name.StartsWith("TRANSLATOR", StringComparison.Ordinal) ? "key" : "" });
        Assert.Equal(1, exitCode);
        Assert.Equal([line], stderr);
    }

    /// <summary>Runs a host's program (the handler's or the worker's) with the given settings until it exits.</summary>
    internal static async Task<(int ExitCode, List<string> Stderr)> RunAsync(string dll, Dictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = "0";
        start.Environment["AzureWebJobsStorage"] = "";
        start.Environment[ServerlessReco.Storage.DataStore.ConnectionStringVariable] = TestStorage.ConnectionString;
        start.Environment[ServerlessReco.Storage.DataStore.PrefixVariable] = TestStorage.NewPrefix();
        foreach (var (key, value) in settings) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(dll)} kept running with a wrong setting: " + await stdout);
        }
        return (process.ExitCode, [.. (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)]);
    }
}
