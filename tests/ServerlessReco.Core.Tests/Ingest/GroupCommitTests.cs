using ServerlessReco.Domain;
using ServerlessReco.Ingest;

namespace ServerlessReco.Tests.Ingest;

public class GroupCommitTests
{
    private static readonly DateTimeOffset At = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static InteractionEvent Event(string id, string user = "u1", DateTimeOffset? at = null) =>
        new() { EventId = id, User = user, Item = "i", Type = EventType.View, Timestamp = at ?? At };

    [Fact]
    public void Plan_writes_an_event_held_by_several_requests_once_and_only_its_first_holder_can_be_accepted()
    {
        var plan = FlushPlan.Of([[Event("a"), Event("b")], [Event("b"), Event("c")], [Event("a")]]);
        Assert.Equal(["a", "b", "c"], plan.Rows.Select(e => e.EventId));

        var outcomes = plan.Outcomes([true, true, true]);
        Assert.Equal([true, true], outcomes[0]);
        Assert.Equal([false, true], outcomes[1]);
        Assert.Equal([false], outcomes[2]);

        // A row that already existed is a duplicate for every holder.
        var existed = plan.Outcomes([false, true, false]);
        Assert.Equal([false, true], existed[0]);
        Assert.Equal([false, false], existed[1]);
        Assert.Equal([false], existed[2]);
    }

    [Fact]
    public void Plan_keeps_the_same_event_id_with_another_user_or_time_as_another_row()
    {
        // The events table keys rows by user, time and id: these are three rows, as they would be one at a time.
        var plan = FlushPlan.Of([[Event("a")], [Event("a", user: "u2")], [Event("a", at: At.AddSeconds(1))], [Event("a", at: At.ToOffset(TimeSpan.FromHours(2)))]]);
        Assert.Equal(3, plan.Rows.Count);
        Assert.Equal([[true], [true], [true], [false]], plan.Outcomes([true, true, true]));
    }

    [Fact]
    public void Plan_refuses_outcomes_that_do_not_match_its_rows() =>
        Assert.Throws<ArgumentException>(() => FlushPlan.Of([[Event("a"), Event("b")]]).Outcomes([true]));

    [Theory]
    [InlineData(0, 0, 0, 5_000, 1, true)] // the first request is always taken, however large
    [InlineData(1, 999, 10, 1, 10, true)]
    [InlineData(1, 999, 10, 2, 10, false)]
    [InlineData(1, 10, 4_000, 1, 97, false)]
    [InlineData(1, 10, 4_000, 1, 96, true)]
    public void Limits_bound_events_and_bytes_but_never_refuse_the_first_request(int requests, int events, long bytes, int moreEvents, long moreBytes, bool admitted) =>
        Assert.Equal(admitted, new GroupCommitLimits(MaxEvents: 1_000, MaxBytes: 4_096).Admits(requests, events, bytes, moreEvents, moreBytes));

    /// <summary>A write step that records each flush and holds it until the test releases it.</summary>
    private sealed class GatedWrite
    {
        private readonly Queue<TaskCompletionSource> _gates = new();
        private readonly object _lock = new();

        public List<List<string>> Flushes { get; } = [];
        public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Ids whose rows "already exist".</summary>
        public HashSet<string> Existing { get; } = [];
        public Exception? FailNext { get; set; }

        public TaskCompletionSource Gate()
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock) _gates.Enqueue(gate);
            return gate;
        }

        public async Task<bool[]> WriteAsync(IReadOnlyList<InteractionEvent> rows, CancellationToken ct)
        {
            TaskCompletionSource? gate;
            lock (_lock)
            {
                Flushes.Add(rows.Select(r => r.EventId).ToList());
                _gates.TryDequeue(out gate);
                var entered = Entered;
                Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
                entered.SetResult();
            }
            if (gate is not null) await gate.Task.WaitAsync(ct);
            if (FailNext is { } e) { FailNext = null; throw e; }
            return rows.Select(r => Existing.Add(r.EventId)).ToArray();
        }
    }

    [Fact]
    public async Task Requests_that_arrive_during_a_flush_are_written_together_by_the_next_one()
    {
        var write = new GatedWrite();
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(), TimeSpan.FromMinutes(1));
        var gate = write.Gate();
        var entered = write.Entered.Task;
        var first = committer.CommitAsync([Event("first")], 10);
        await entered;

        // The first flush is held: everything queued now waits for it to end, then goes as one.
        var waiting = Enumerable.Range(0, 20).Select(i => committer.CommitAsync([Event($"w{i}", user: $"u{i}")], 10)).ToList();
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        gate.SetResult();

        Assert.Equal(new[] { true }, await first);
        foreach (var t in waiting) Assert.Equal(new[] { true }, await t);
        Assert.Equal(2, write.Flushes.Count);
        Assert.Equal(["first"], write.Flushes[0]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"w{i}"), write.Flushes[1]);
    }

    [Fact]
    public async Task A_flush_takes_whole_requests_up_to_its_limits()
    {
        var write = new GatedWrite();
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(MaxEvents: 3, MaxBytes: 1_000), TimeSpan.FromMinutes(1));
        var gate = write.Gate();
        var entered = write.Entered.Task;
        var first = committer.CommitAsync([Event("x")], 1);
        await entered;

        var a = committer.CommitAsync([Event("a1"), Event("a2")], 2);
        var b = committer.CommitAsync([Event("b1"), Event("b2")], 2); // would make 4 events: next flush
        var c = committer.CommitAsync([Event("c1")], 999); // fits the count, not the bytes after b
        var d = committer.CommitAsync(Enumerable.Range(0, 5).Select(i => Event($"d{i}")).ToList(), 5); // alone: larger than a flush
        gate.SetResult();
        await Task.WhenAll(first, a, b, c, d);

        Assert.Equal([["x"], ["a1", "a2"], ["b1", "b2"], ["c1"], ["d0", "d1", "d2", "d3", "d4"]], write.Flushes);
    }

    [Fact]
    public async Task Duplicates_across_requests_in_one_flush_are_written_once_and_accepted_once()
    {
        var write = new GatedWrite();
        write.Existing.Add("old");
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(), TimeSpan.FromMinutes(1));
        var gate = write.Gate();
        var entered = write.Entered.Task;
        var first = committer.CommitAsync([Event("x")], 1);
        await entered;

        var a = committer.CommitAsync([Event("e"), Event("old")], 2);
        var b = committer.CommitAsync([Event("e"), Event("f")], 2);
        gate.SetResult();

        Assert.Equal(new[] { true, false }, await a);
        Assert.Equal(new[] { false, true }, await b);
        Assert.Equal(["e", "old", "f"], write.Flushes[1]);
        await first;
    }

    [Fact]
    public async Task A_failed_flush_fails_every_request_in_it_and_the_requests_behind_it_go_on()
    {
        var write = new GatedWrite();
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(), TimeSpan.FromMinutes(1));
        var firstGate = write.Gate();
        var secondGate = write.Gate();
        var firstEntered = write.Entered.Task;
        var first = committer.CommitAsync([Event("x")], 1);
        await firstEntered;
        var secondEntered = write.Entered.Task;
        var failing = Enumerable.Range(0, 5).Select(i => committer.CommitAsync([Event($"f{i}", user: $"u{i}")], 1)).ToList();
        firstGate.SetResult();
        await secondEntered;

        // The second flush holds the five requests; it fails, and the three queued behind it are the third flush.
        var behind = Enumerable.Range(0, 3).Select(i => committer.CommitAsync([Event($"g{i}")], 1)).ToList();
        var storageDown = new IOException("storage down");
        write.FailNext = storageDown;
        secondGate.SetResult();

        Assert.Equal(new[] { true }, await first);
        foreach (var t in failing) Assert.Same(storageDown, await Assert.ThrowsAsync<IOException>(() => t));
        foreach (var t in behind) Assert.Equal(new[] { true }, await t);
        Assert.Equal([["x"], ["f0", "f1", "f2", "f3", "f4"], ["g0", "g1", "g2"]], write.Flushes);
    }

    [Fact]
    public async Task A_request_that_gave_up_before_its_flush_is_not_written()
    {
        var write = new GatedWrite();
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(), TimeSpan.FromMinutes(1));
        var gate = write.Gate();
        var entered = write.Entered.Task;
        var first = committer.CommitAsync([Event("x")], 1);
        await entered;

        using var giveUp = new CancellationTokenSource();
        var abandoned = committer.CommitAsync([Event("abandoned")], 1, giveUp.Token);
        var kept = committer.CommitAsync([Event("kept")], 1);
        giveUp.Cancel();
        gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(new[] { true }, await kept);
        await first;
        Assert.Equal([["x"], ["kept"]], write.Flushes);
    }

    [Fact]
    public async Task A_flush_that_outlives_its_timeout_fails()
    {
        var write = new GatedWrite();
        await using var committer = new GroupCommitter(write.WriteAsync, new GroupCommitLimits(), TimeSpan.FromMilliseconds(1));
        write.Gate(); // never released: only the flush timeout ends it
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => committer.CommitAsync([Event("x")], 1));
    }
}
