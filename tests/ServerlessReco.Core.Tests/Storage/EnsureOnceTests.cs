using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Storage;

public class EnsureOnceTests
{
    [Fact]
    public async Task A_step_that_failed_while_nobody_waited_runs_again_for_the_next_caller()
    {
        var first = new TaskCompletionSource();
        int runs = 0;
        var once = new EnsureOnce(_ => ++runs == 1 ? first.Task : Task.CompletedTask);

        // The only caller gives up (its request's budget ran out) while storage is down; then the step fails.
        using (var gaveUp = new CancellationTokenSource())
        {
            var waiting = once.EnsureAsync(gaveUp.Token);
            await gaveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        first.SetException(new IOException("Connection reset by peer"));

        // Storage is back: the next caller runs the step, instead of failing on the old outage.
        await once.EnsureAsync(CancellationToken.None);
        Assert.Equal(2, runs);
        await once.EnsureAsync(CancellationToken.None);
        Assert.Equal(2, runs);
    }
}
