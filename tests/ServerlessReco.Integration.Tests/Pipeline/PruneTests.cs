using ServerlessReco.Domain;
using ServerlessReco.EventLog;
using ServerlessReco.Jobs.Prune;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Pipeline;

public class PruneTests
{
    private static InteractionEvent Event(string id, string user, DateTimeOffset at) =>
        new() { EventId = id, User = user, Item = "i", Type = EventType.View, Market = "GB", Timestamp = at };

    [Fact]
    public async Task Prune_deletes_old_dead_letters_and_old_event_rows_and_keeps_the_rest()
    {
        var store = TestStorage.NewStore();
        var now = DateTimeOffset.UtcNow;
        var letter = BinaryData.FromString("{}");
        string[] old = [$"events/{now.AddDays(-31):yyyy'/'MM'/'dd}/a.json", "events/2020/01/01/b.json", "import/online-retail/20200101T000000Z.jsonl"];
        string[] recent = [$"events/{now.AddDays(-29):yyyy'/'MM'/'dd}/c.json", $"events/{now:yyyy'/'MM'/'dd}/d.json", $"import/csv/{now.AddDays(-1):yyyyMMdd'T'HHmmss'Z'}.jsonl"];
        string[] undated = ["events/notes.txt", "manual/replayed.json"];
        foreach (var path in old.Concat(recent).Concat(undated))
            await store.Blobs.PutAsync(Containers.DeadLetter, path, letter, overwrite: false);

        // 150 old rows of one user: more than one delete transaction in one partition.
        var oldRows = Enumerable.Range(0, 150).Select(i => Event($"old-{i}", "u1", now.AddDays(-401).AddMinutes(-i)))
            .Append(Event("old-u2", "u2", now.AddDays(-500))).ToList();
        var keptRows = new[] { Event("new-1", "u1", now.AddDays(-399)), Event("new-2", "u2", now.AddMinutes(-1)), Event("new-3", "u3", now.AddDays(-10)) };
        await store.RecentEvents.UpsertAsync([.. oldRows, .. keptRows]);
        // Activity recorded three days ago, beyond the feed's retention; the upsert above recorded u1-u3 now.
        await new ShopperActivityFeed(store.Table("activity"), new FixedClock(now.AddDays(-3))).RecordAsync([Event("a-1", "u4", now.AddDays(-3)), Event("a-2", "u5", now.AddDays(-3))]);

        var report = await PruneJob.RunAsync(store, deadLetterDays: 30, eventsDays: 400, TimeProvider.System, CancellationToken.None);

        Assert.Equal(new PruneJob.Report(old.Length, undated.Length, oldRows.Count, 2), report);
        var left = new List<string>();
        await foreach (var path in store.Blobs.ListAsync(Containers.DeadLetter, "")) left.Add(path);
        Assert.Equal(recent.Concat(undated).Order(StringComparer.Ordinal), left.Order(StringComparer.Ordinal));
        var rows = new List<string>();
        foreach (var user in new[] { "u1", "u2", "u3" })
            rows.AddRange((await store.RecentEvents.ReadRecentAsync(user, DateTimeOffset.MinValue, 1000)).Select(e => e.EventId));
        Assert.Equal(keptRows.Select(e => e.EventId).Order(), rows.Order());
        var activity = await store.Activity.ReadSinceAsync(now.AddDays(-4));
        Assert.Equal(["u1", "u2", "u3"], activity.Activity.Select(a => a.User).Distinct().Order());

        // Nothing left to prune.
        Assert.Equal(new PruneJob.Report(0, undated.Length, 0, 0), await PruneJob.RunAsync(store, 30, 400, TimeProvider.System, CancellationToken.None));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
