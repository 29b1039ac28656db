using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Rank;

namespace ServerlessReco.Tests.Feedback;

/// <summary>A generated impression and event log whose answers are known by construction.</summary>
public class OnlineMetricsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Per arm 100 answers of 10 items (1,000 impressions, market DE, ALS). Control: items 0 of answers 0..99 clicked
    /// (100 clicks), of those 30 added to the cart, 10 bought at 2.50 x 2. Challenger: 150 clicks (items 0 and 1 of
    /// answers 0..74), 40 carts, 20 purchases at 3.00 x 1.
    /// </summary>
    private static (List<Impression> Impressions, List<InteractionEvent> Events) Log()
    {
        var impressions = new List<Impression>();
        var events = new List<InteractionEvent>();
        foreach (var arm in new[] { Arm.Control, Arm.Challenger })
        {
            for (int a = 0; a < 100; a++)
            {
                var id = $"{(int)arm:x2}{a:x30}";
                for (int p = 0; p < 10; p++)
                    impressions.Add(new Impression(id, $"I{p}", p, Strategy.Als, arm == Arm.Control ? "v1" : "v2", arm, "exp", "DE", T0));
                bool control = arm == Arm.Control;
                int[] clicked = control ? [0] : a < 75 ? [0, 1] : [];
                foreach (var item in clicked) events.Add(Event(id, $"I{item}", EventType.Click, T0.AddMinutes(1)));
                if (a < (control ? 30 : 40)) events.Add(Event(id, "I0", EventType.AddToCart, T0.AddMinutes(2)));
                if (a < (control ? 10 : 20)) events.Add(Event(id, "I0", EventType.Purchase, T0.AddHours(23), value: control ? 2.5 : 3.0, quantity: control ? 2 : 1));
            }
        }
        return (impressions, events);
    }

    private static InteractionEvent Event(string? recommendationId, string item, EventType type, DateTimeOffset at, double? value = null, double quantity = 1,
        UnattributedReason? reason = null) => new()
    {
        EventId = Guid.NewGuid().ToString("N"), User = "u", Item = item, Type = type, Timestamp = at, Value = value, Quantity = quantity,
        RecommendationId = recommendationId, UnattributedReason = reason, Market = "DE",
    };

    private static OnlineReport Report(List<Impression> impressions, List<InteractionEvent> events, TimeSpan? window = null) =>
        OnlineMetrics.Compute(impressions, events, window ?? OnlineMetrics.DefaultWindow, Skew, null, null, simulated: false, T0.AddDays(2));

    private static OnlineReportRow Row(OnlineReport report, Arm arm, string strategy = OnlineMetrics.All, string market = OnlineMetrics.All) =>
        report.Rows.Single(r => r.Arm == arm && r.Strategy == strategy && r.Market == market);

    [Fact]
    public void Rates_revenue_and_intervals_match_the_generated_log()
    {
        var (impressions, events) = Log();
        var report = Report(impressions, events);
        var control = Row(report, Arm.Control);
        var challenger = Row(report, Arm.Challenger, "als", "DE");

        Assert.Equal(1_000, control.Impressions);
        Assert.Equal(100, control.Answers);
        Assert.Equal(0.100, control.ClickThrough.Value, 12);
        Assert.Equal(0.030, control.AddToCart.Value, 12);
        Assert.Equal(0.010, control.Purchase.Value, 12);
        Assert.Equal(50.0, control.Revenue, 9);
        Assert.Equal(0.150, challenger.ClickThrough.Value, 12);
        Assert.Equal(60.0, challenger.Revenue, 9);
        // Wilson 95% for 100 of 1,000: 0.0829 .. 0.1202 (closed form, computed independently).
        Assert.Equal(0.08290, control.ClickThrough.Low, 4);
        Assert.Equal(0.12015, control.ClickThrough.High, 4);
        Assert.Equal(100 + 150 + 30 + 40 + 10 + 20, report.AttributedEvents);
        Assert.Empty(report.Unattributed);
    }

    [Fact]
    public void The_arm_difference_is_a_pooled_two_proportion_z_test()
    {
        var (impressions, events) = Log();
        var ctr = Report(impressions, events).Differences.Single(d => d.Strategy == OnlineMetrics.All && d.Market == OnlineMetrics.All && d.Metric == "clickThrough");
        // p1 0.10, p2 0.15, pooled 0.125: se = sqrt(0.125 * 0.875 * 2 / 1000) = 0.0147902, z = 3.3806, two-sided p = 0.000723.
        Assert.Equal(0.05, ctr.Difference, 12);
        Assert.Equal(3.3806, ctr.Z, 3);
        Assert.Equal(0.000723, ctr.PValue, 5);
    }

    [Fact]
    public void Events_outside_the_window_or_not_matching_a_shown_item_are_counted_by_reason_and_not_attributed()
    {
        var (impressions, _) = Log();
        var id = impressions[0].RecommendationId;
        List<InteractionEvent> events =
        [
            Event(id, "I0", EventType.Click, T0.AddHours(23)),            // attributed
            Event(id, "I1", EventType.Purchase, T0.AddHours(25)),         // window passed
            Event(id, "I2", EventType.Click, T0.AddMinutes(-10)),         // before it was shown, beyond clock skew
            Event(id, "I3", EventType.Click, T0.AddMinutes(-4)),          // within the clock skew: attributed
            Event(id, "NOT-SHOWN", EventType.Click, T0),
            Event(new string('f', 32), "I0", EventType.Click, T0),
            Event(null, "I0", EventType.Click, T0, reason: UnattributedReason.MalformedId),
            Event(null, "I0", EventType.Click, T0),                        // no id at all: not part of the report
        ];
        var report = Report(impressions, events);
        Assert.Equal(7, report.EventsWithRecommendationId);
        Assert.Equal(2, report.AttributedEvents);
        Assert.Equal(2, report.Unattributed[UnattributedReason.OutsideWindow]);
        Assert.Equal(1, report.Unattributed[UnattributedReason.ItemNotShown]);
        Assert.Equal(1, report.Unattributed[UnattributedReason.UnknownId]);
        Assert.Equal(1, report.Unattributed[UnattributedReason.MalformedId]);
        Assert.Equal(2, Row(report, Arm.Control).ClickThrough.Count);

        // A 30-hour window takes the purchase at 25 h in.
        var wider = Report(impressions, events, TimeSpan.FromHours(30));
        Assert.Equal(1, Row(wider, Arm.Control).Purchase.Count);
    }

    [Fact]
    public void Since_and_experiment_select_impressions_and_a_duplicate_impression_counts_once()
    {
        var (impressions, events) = Log();
        impressions.Add(impressions[0]);
        impressions.Add(impressions[0] with { RecommendationId = new string('a', 32), Experiment = null, Time = T0.AddDays(-3) });
        var all = Report(impressions, events);
        Assert.Equal(2_001, all.Impressions);
        var recent = OnlineMetrics.Compute(impressions, events, OnlineMetrics.DefaultWindow, Skew, T0.AddDays(-1), null, false, T0);
        Assert.Equal(2_000, recent.Impressions);
        // An event from before --since is left out, not counted as an unknown id.
        var old = Event(new string('b', 32), "I0", EventType.Click, T0.AddDays(-2));
        var withOld = OnlineMetrics.Compute(impressions, [.. events, old], OnlineMetrics.DefaultWindow, Skew, T0.AddDays(-1), null, false, T0);
        Assert.Equal(recent.EventsWithRecommendationId, withOld.EventsWithRecommendationId);
        Assert.Empty(withOld.Unattributed);
        var experiment = OnlineMetrics.Compute(impressions, events, OnlineMetrics.DefaultWindow, Skew, null, "exp", false, T0);
        Assert.Equal(2_000, experiment.Impressions);
    }

    [Theory]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    [InlineData(5, 10, 0.2366, 0.7634)]
    public void Wilson_intervals_match_published_values(long successes, long trials, double low, double high)
    {
        var rate = OnlineMetrics.Wilson(successes, trials);
        Assert.Equal(low, rate.Low, 4);
        Assert.Equal(high, rate.High, 4);
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1.959964, 0.975)]
    [InlineData(-1.644854, 0.05)]
    public void The_normal_cdf_is_accurate_to_six_places(double x, double expected) => Assert.Equal(expected, OnlineMetrics.NormalCdf(x), 6);
}
