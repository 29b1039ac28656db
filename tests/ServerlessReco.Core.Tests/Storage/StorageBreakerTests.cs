using System.Net;
using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Polly.CircuitBreaker;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Storage;

/// <summary>
/// The breaker inside a real Azure SDK pipeline whose transport is scripted per attempt (refuse, hang until
/// cancelled, answer), on a clock the test moves: which outcomes open it, keep it open and close it.
/// </summary>
public class StorageBreakerTests
{
    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public override long GetTimestamp() => _now.UtcTicks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan by) => _now += by;
    }

    private enum Storage { Up, Refusing, Silent, Held }

    /// <summary>Stands in for the account: answers 200, refuses the connection, or never answers.</summary>
    private sealed class Account(Clock clock) : HttpMessageHandler
    {
        public Storage State { get; set; }
        /// <summary>How long a silent account keeps a caller waiting before the caller's token is cancelled.</summary>
        public TimeSpan Waited { get; set; }
        public CancellationTokenSource? Caller { get; set; }
        /// <summary>Held attempts fail as refused once this completes: the late end of calls left hanging by an outage.</summary>
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;
        public int HeldAttempts => Volatile.Read(ref _held);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            switch (State)
            {
                case Storage.Up:
                    return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
                case Storage.Refusing:
                    throw new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused));
                case Storage.Held:
                    Interlocked.Increment(ref _held);
                    await Release.Task;
                    throw new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset));
                default:
                    clock.Advance(Waited);
                    await Caller!.CancelAsync();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    throw new System.Diagnostics.UnreachableException();
            }
        }
    }

    private sealed class Options : ClientOptions;

    private sealed class World
    {
        public Clock Clock { get; } = new();
        public Account Account { get; }
        public StorageBreaker Breaker { get; }
        private readonly HttpPipeline _pipeline;

        public World()
        {
            Account = new Account(Clock);
            Breaker = new StorageBreaker(Clock);
            var options = new Options { Transport = new HttpClientTransport(new HttpClient(Account)) };
            StorageBreaker.Configure(options, Breaker);
            _pipeline = HttpPipelineBuilder.Build(options);
        }

        /// <summary>One SDK call (up to two attempts); true when storage answered.</summary>
        public async Task<bool> CallAsync(CancellationToken ct = default)
        {
            var message = _pipeline.CreateMessage();
            message.Request.Method = RequestMethod.Get;
            message.Request.Uri.Reset(new Uri("http://127.0.0.1:10000/devstoreaccount1/c/b"));
            try
            {
                await _pipeline.SendAsync(message, ct);
                return message.Response.Status == 200;
            }
            catch (Exception e) when (e is RequestFailedException or AggregateException or OperationCanceledException or BrokenCircuitException)
            {
                return false;
            }
        }

        /// <summary>A call whose caller stops waiting after the account kept it <paramref name="waited"/> without an answer.</summary>
        public async Task GiveUpAfterAsync(TimeSpan waited)
        {
            using var caller = new CancellationTokenSource();
            Account.State = Storage.Silent;
            Account.Waited = waited;
            Account.Caller = caller;
            Assert.False(await CallAsync(caller.Token));
        }

        /// <summary>Opens the breaker the ordinary way: storage refuses, a call fails both its attempts.</summary>
        public async Task OpenAsync()
        {
            Account.State = Storage.Refusing;
            await CallAsync();
            Assert.True(Breaker.IsOpen);
        }
    }

    [Fact]
    public async Task A_trial_whose_caller_gave_up_on_silent_storage_keeps_the_breaker_open()
    {
        var world = new World();
        await world.OpenAsync();
        world.Clock.Advance(StorageBreaker.BreakDuration);

        await world.GiveUpAfterAsync(StorageBreaker.Silence);

        Assert.True(world.Breaker.IsOpen, "A trial its caller gave up on, with no answer from storage, closed the breaker");
        // Open for a whole break again, then the next trial decides.
        world.Account.State = Storage.Up;
        Assert.False(await world.CallAsync());
        world.Clock.Advance(StorageBreaker.BreakDuration);
        Assert.True(await world.CallAsync());
        Assert.False(world.Breaker.IsOpen);
    }

    [Fact]
    public async Task Callers_giving_up_on_silent_storage_open_the_breaker()
    {
        var world = new World();
        world.Account.State = Storage.Up;
        Assert.True(await world.CallAsync());

        // Storage that accepts calls and never answers, met by callers with budgets shorter than the attempt timeout.
        await world.GiveUpAfterAsync(StorageBreaker.Silence);
        await world.GiveUpAfterAsync(StorageBreaker.Silence);

        Assert.True(world.Breaker.IsOpen, "Calls abandoned after half a second of silence counted as successes");
    }

    [Fact]
    public async Task A_caller_giving_up_early_or_while_storage_answers_others_counts_for_nothing()
    {
        var world = new World();
        for (int i = 0; i < 4; i++)
        {
            world.Account.State = Storage.Up;
            Assert.True(await world.CallAsync());
            // A client that disconnects at once proves nothing about storage.
            await world.GiveUpAfterAsync(StorageBreaker.Silence / 10);
        }
        Assert.False(world.Breaker.IsOpen);

        // Nor does one that waited long, when storage answered another call meanwhile.
        var started = world.Breaker.Now();
        world.Clock.Advance(StorageBreaker.Silence);
        world.Account.State = Storage.Up;
        Assert.True(await world.CallAsync());
        await world.Breaker.GaveUpAsync(started);
        await world.Breaker.GaveUpAsync(started);
        Assert.False(world.Breaker.IsOpen);
    }

    [Fact]
    public async Task Callers_whose_budget_ran_out_on_work_the_breaker_cannot_see_open_it_when_storage_was_silent()
    {
        var world = new World();
        world.Account.State = Storage.Up;
        Assert.True(await world.CallAsync());

        var started = world.Breaker.Now();
        world.Clock.Advance(StorageBreaker.Silence);
        await world.Breaker.GaveUpAsync(started);
        await world.Breaker.GaveUpAsync(started);

        Assert.True(world.Breaker.IsOpen);
    }

    [Fact]
    public async Task A_refused_trial_reopens_it_and_an_answered_one_closes_it()
    {
        var world = new World();
        await world.OpenAsync();
        world.Clock.Advance(StorageBreaker.BreakDuration);
        Assert.False(await world.CallAsync());
        Assert.True(world.Breaker.IsOpen);

        world.Clock.Advance(StorageBreaker.BreakDuration);
        world.Account.State = Storage.Up;
        Assert.True(await world.CallAsync());
        Assert.False(world.Breaker.IsOpen);
    }

    [Fact]
    public async Task Work_that_outlives_its_callers_is_told_when_the_breaker_opens()
    {
        var world = new World();
        var flush = world.Breaker.UntilOpened;

        await world.OpenAsync();

        Assert.True(flush.IsCancellationRequested);
        // Work started while it is open is told at the next opening, not at once.
        Assert.False(world.Breaker.UntilOpened.IsCancellationRequested);
    }

    [Fact]
    public async Task Attempts_left_hanging_by_an_outage_do_not_open_it_again_when_they_fail_after_it_closed()
    {
        var world = new World();
        world.Account.State = Storage.Held;
        var hanging = new[] { world.CallAsync(), world.CallAsync() };
        while (world.Account.HeldAttempts < 2) await Task.Delay(1);
        await world.OpenAsync();
        world.Clock.Advance(StorageBreaker.BreakDuration);
        world.Account.State = Storage.Up;
        Assert.True(await world.CallAsync());
        Assert.False(world.Breaker.IsOpen);

        world.Account.Release.SetResult();
        // Their retries, after the recovery, are answered.
        Assert.All(await Task.WhenAll(hanging), Assert.True);
        Assert.False(world.Breaker.IsOpen, "Two attempts begun before the recovery opened the breaker again when they failed after it");
    }
}
