namespace ServerlessReco.Jobs;

/// <summary>
/// Shows a job's long steps while they run: the command line draws progress bars
/// (<see cref="Cli.JobConsole.Progress"/>); tests and other callers pass <see cref="None"/>.
/// </summary>
public interface IJobProgress
{
    /// <param name="step">The step's work, reporting (done, total) in any unit as it goes.</param>
    Task RunAsync(string description, Func<Action<double, double>, Task> step);

    static IJobProgress None { get; } = new Silent();

    private sealed class Silent : IJobProgress
    {
        public Task RunAsync(string description, Func<Action<double, double>, Task> step) => step((_, _) => { });
    }
}
