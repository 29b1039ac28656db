namespace ServerlessReco.Storage;

/// <summary>
/// Runs an idempotent setup step (create a table or container) until it first succeeds. A failure is not
/// remembered, so after a storage outage the next caller tries again instead of failing forever; the step runs
/// without the caller's token so one abandoned request cannot cancel it for everyone.
/// </summary>
internal sealed class EnsureOnce(Func<CancellationToken, Task> step)
{
    private readonly Lock _gate = new();
    private Task? _task;

    public Task EnsureAsync(CancellationToken ct)
    {
        Task task;
        lock (_gate)
        {
            // A step that failed starts again for the next caller, also when nobody was waiting to see it fail: a
            // failure kept until a caller rethrows it would fail that caller on an outage that may be long over.
            if (_task is null or { IsFaulted: true } or { IsCanceled: true }) _task = step(CancellationToken.None);
            task = _task;
        }
        return task.WaitAsync(ct);
    }
}
