using ServerlessReco.Catalog;

namespace ServerlessReco.Tests.Catalog;

public class ChangeFeedRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Partitions_are_utc_minutes_that_sort_as_text()
    {
        Assert.Equal("202611231259", CatalogChangeFeed.PartitionOf(new DateTimeOffset(2026, 11, 23, 13, 59, 59, TimeSpan.FromHours(1))));
        var minutes = Enumerable.Range(0, 3000).Select(m => Now.AddMinutes(m * 7)).ToList();
        Assert.Equal(minutes.Select(CatalogChangeFeed.PartitionOf), minutes.Select(CatalogChangeFeed.PartitionOf).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_feed_covers_a_gap_only_while_pruning_cannot_have_reached_it()
    {
        var retention = TimeSpan.FromHours(48);
        Assert.True(CatalogChangeFeed.Covers(Now.AddSeconds(-5), Now, retention));
        Assert.True(CatalogChangeFeed.Covers(Now - retention + 2 * CatalogChangeFeed.WriterClockSlack, Now, retention));
        Assert.False(CatalogChangeFeed.Covers(Now - retention + 2 * CatalogChangeFeed.WriterClockSlack - TimeSpan.FromSeconds(1), Now, retention));
        Assert.False(CatalogChangeFeed.Covers(Now.AddDays(-3), Now, retention));
    }
}
