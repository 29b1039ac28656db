namespace ServerlessReco.Tests;

public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ServerlessReco.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ServerlessReco.sln not found above the test output.");
    }
}
