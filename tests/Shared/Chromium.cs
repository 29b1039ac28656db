namespace ServerlessReco.Tests;

/// <summary>
/// The browser the browser tests and `reco-bench screenshots` drive: Debian's chromium, which ./reco installs where it
/// is missing, or whatever RECO_CHROMIUM names (a hosted CI image's preinstalled Chrome). Playwright never downloads one.
/// </summary>
public static class Chromium
{
    public const string Variable = "RECO_CHROMIUM";
    public const string DebianPath = "/usr/bin/chromium";

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? path : DebianPath;
}
