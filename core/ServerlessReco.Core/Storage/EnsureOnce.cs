namespace ServerlessReco.Storage;

/// <summary>
/// Runs an idempotent setup step (create a table or container) until it first succeeds. A failure is not
/// remembered, so after a storage outage the next caller tries again instead of failing forever; the step runs
/// without the caller's token so one abandoned request cannot cancel it for everyone.
/// </summary>
internal sealed class EnsureOnce(Func<CancellationToken, Task> step)
{
    private Task? _task;

    public async Task EnsureAsync(CancellationToken ct)
    {
        var task = _task ??= step(CancellationToken.None);
        try
        {
            await task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (task.IsFaulted || task.IsCanceled)
        {
            _ = Interlocked.CompareExchange(ref _task, null, task);
            throw;
        }
    }
}
