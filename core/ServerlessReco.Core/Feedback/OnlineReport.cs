using System.Text.Json.Serialization;
using ServerlessReco.Domain;

namespace ServerlessReco.Feedback;

/// <summary>Why an event that carried a recommendation id was not attributed to an impression.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UnattributedReason>))]
public enum UnattributedReason
{
    /// <summary>Not 32 lower-case hex digits; recorded at ingestion, where the event was accepted without it.</summary>
    [JsonStringEnumMemberName("malformed-id")] MalformedId,
    /// <summary>No impression carries the id (never served, or shown before --since, or lost with an instance).</summary>
    [JsonStringEnumMemberName("unknown-id")] UnknownId,
    /// <summary>The answer exists but did not show this item.</summary>
    [JsonStringEnumMemberName("item-not-shown")] ItemNotShown,
    /// <summary>Later than the attribution window after the impression (or earlier than it beyond clock skew).</summary>
    [JsonStringEnumMemberName("outside-window")] OutsideWindow,
}

/// <summary>A proportion with its 95% Wilson score interval.</summary>
public sealed record Rate(long Count, long Of, double Value, double Low, double High);

/// <summary>One arm, strategy and market ("*" = all of them).</summary>
/// <param name="Revenue">Sum of value x quantity of attributed purchases that carried a value (a price).</param>
public sealed record OnlineReportRow(
    string? Experiment, Arm Arm, string Strategy, string Market, long Impressions, long Answers,
    Rate ClickThrough, Rate AddToCart, Rate Purchase, double Revenue, long PricedPurchases);

/// <summary>Challenger minus control for one metric, with the pooled two-proportion z-test.</summary>
public sealed record ArmDifference(string Experiment, string Strategy, string Market, string Metric,
    double Control, double Challenger, double Difference, double Z, double PValue);

/// <summary>
/// What `online-report` computes and stores (reports/online/...json) for the console: per arm, strategy and market.
/// <see cref="Simulated"/> is true when the impressions came from a replay, not from shoppers.
/// </summary>
public sealed record OnlineReport(
    DateTimeOffset GeneratedAt, DateTimeOffset? Since, string? Experiment, double WindowHours, bool Simulated,
    long Impressions, long EventsWithRecommendationId, long AttributedEvents, Dictionary<UnattributedReason, long> Unattributed,
    List<OnlineReportRow> Rows, List<ArmDifference> Differences);

/// <summary>
/// Attribution and online metrics, computed at report time by joining the impression log with the event log: the
/// join needs no state on the serving or ingestion path, late events are attributed as soon as they are in the log,
/// and changing the window means running the report again. Pure: arrays in, report out.
/// </summary>
public static class OnlineMetrics
{
    /// <summary>The one home of the attribution window's default.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);
    public const string All = "*";
    private const double Z95 = 1.959963984540054;

    /// <param name="clockSkew">An event this much before its impression is still attributed: storefront clocks drift.</param>
    public static OnlineReport Compute(IReadOnlyList<Impression> impressions, IReadOnlyList<InteractionEvent> events, TimeSpan window, TimeSpan clockSkew,
        DateTimeOffset? since, string? experiment, bool simulated, DateTimeOffset now)
    {
        var shown = new Dictionary<(string Id, string Item), int>();
        var answers = new HashSet<string>(StringComparer.Ordinal);
        var selected = new List<Impression>();
        foreach (var impression in impressions)
        {
            if (since is { } s && impression.Time < s) continue;
            if (experiment is not null && impression.Experiment != experiment) continue;
            // A retried flush can write an impression twice; the first copy counts.
            if (shown.TryAdd((impression.RecommendationId, impression.Item), selected.Count))
            {
                selected.Add(impression);
                answers.Add(impression.RecommendationId);
            }
        }

        var outcome = new (bool Click, bool Cart, bool Purchase, double Revenue, long Priced)[selected.Count];
        var unattributed = new Dictionary<UnattributedReason, long>();
        long withId = 0, attributed = 0;
        foreach (var e in events)
        {
            // Older than any selected impression can explain: not part of this report, not "unknown".
            if (since is { } from && e.Timestamp < from - clockSkew) continue;
            UnattributedReason? reason = null;
            if (e.UnattributedReason is { } stored) reason = stored;
            else if (e.RecommendationId is null) continue;
            else if (!shown.TryGetValue((e.RecommendationId, e.Item), out int index))
                reason = answers.Contains(e.RecommendationId) ? UnattributedReason.ItemNotShown : UnattributedReason.UnknownId;
            else if (e.Type is EventType.Click or EventType.AddToCart or EventType.Purchase)
            {
                var age = e.Timestamp - selected[index].Time;
                if (age > window || age < -clockSkew) reason = UnattributedReason.OutsideWindow;
                else
                {
                    ref var o = ref outcome[index];
                    if (e.Type == EventType.Click) o.Click = true;
                    else if (e.Type == EventType.AddToCart) o.Cart = true;
                    else
                    {
                        o.Purchase = true;
                        if (e.Value is { } price) { o.Revenue += price * e.Quantity; o.Priced++; }
                    }
                    attributed++;
                }
            }
            else continue; // views and ratings of a shown item are neither outcomes nor errors
            withId++;
            if (reason is { } r) unattributed[r] = unattributed.GetValueOrDefault(r) + 1;
        }

        var groups = new Dictionary<(string? Experiment, Arm Arm, string Strategy, string Market), Accumulator>();
        for (int i = 0; i < selected.Count; i++)
        {
            var imp = selected[i];
            var strategy = Rank.Strategies.Name(imp.Strategy);
            foreach (var key in new[] { (imp.Experiment, imp.Arm, strategy, imp.Market), (imp.Experiment, imp.Arm, strategy, All), (imp.Experiment, imp.Arm, All, imp.Market), (imp.Experiment, imp.Arm, All, All) })
            {
                if (!groups.TryGetValue(key, out var acc)) groups[key] = acc = new Accumulator();
                acc.Add(imp.RecommendationId, outcome[i]);
            }
        }

        var rows = groups
            .OrderBy(g => g.Key.Experiment, StringComparer.Ordinal).ThenBy(g => g.Key.Strategy, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Market, StringComparer.Ordinal).ThenBy(g => g.Key.Arm)
            .Select(g => g.Value.Row(g.Key.Experiment, g.Key.Arm, g.Key.Strategy, g.Key.Market))
            .ToList();
        var differences = new List<ArmDifference>();
        foreach (var control in rows.Where(r => r.Arm == Arm.Control && r.Experiment is not null))
        {
            if (rows.FirstOrDefault(r => r.Arm == Arm.Challenger && r.Experiment == control.Experiment && r.Strategy == control.Strategy && r.Market == control.Market) is not { } challenger)
                continue;
            differences.Add(Difference(control, challenger, "clickThrough", r => r.ClickThrough));
            differences.Add(Difference(control, challenger, "addToCart", r => r.AddToCart));
            differences.Add(Difference(control, challenger, "purchase", r => r.Purchase));
        }
        return new OnlineReport(now, since, experiment, window.TotalHours, simulated, selected.Count, withId, attributed, unattributed, rows, differences);
    }

    private static ArmDifference Difference(OnlineReportRow control, OnlineReportRow challenger, string metric, Func<OnlineReportRow, Rate> rate)
    {
        var (z, p) = TwoProportionZTest(rate(control).Count, rate(control).Of, rate(challenger).Count, rate(challenger).Of);
        return new ArmDifference(control.Experiment!, control.Strategy, control.Market, metric, rate(control).Value, rate(challenger).Value,
            rate(challenger).Value - rate(control).Value, z, p);
    }

    /// <summary>95% Wilson score interval: stays inside 0..1 and behaves for small counts, unlike the normal one.</summary>
    public static Rate Wilson(long successes, long trials)
    {
        if (trials == 0) return new Rate(0, 0, 0, 0, 1);
        double n = trials, p = successes / n, z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return new Rate(successes, trials, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Pooled two-proportion z-test of b against a; two-sided p-value. z = 0, p = 1 when there is no variance.</summary>
    public static (double Z, double P) TwoProportionZTest(long successesA, long trialsA, long successesB, long trialsB)
    {
        if (trialsA == 0 || trialsB == 0) return (0, 1);
        double pa = (double)successesA / trialsA, pb = (double)successesB / trialsB;
        double pooled = (double)(successesA + successesB) / (trialsA + trialsB);
        double se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / trialsA + 1.0 / trialsB));
        if (se == 0) return (0, 1);
        double z = (pb - pa) / se;
        return (z, 2 * (1 - NormalCdf(Math.Abs(z))));
    }

    /// <summary>Standard normal CDF via erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7).</summary>
    public static double NormalCdf(double x)
    {
        double t = x / Math.Sqrt(2);
        double sign = Math.Sign(t);
        t = Math.Abs(t);
        double k = 1 / (1 + 0.3275911 * t);
        double erf = 1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.Exp(-t * t);
        return 0.5 * (1 + sign * erf);
    }

    private sealed class Accumulator
    {
        private readonly HashSet<string> _answers = new(StringComparer.Ordinal);
        private long _impressions, _clicks, _carts, _purchases, _priced;
        private double _revenue;

        public void Add(string recommendationId, (bool Click, bool Cart, bool Purchase, double Revenue, long Priced) o)
        {
            _answers.Add(recommendationId);
            _impressions++;
            if (o.Click) _clicks++;
            if (o.Cart) _carts++;
            if (o.Purchase) _purchases++;
            _revenue += o.Revenue;
            _priced += o.Priced;
        }

        public OnlineReportRow Row(string? experiment, Arm arm, string strategy, string market) => new(
            experiment, arm, strategy, market, _impressions, _answers.Count,
            Wilson(_clicks, _impressions), Wilson(_carts, _impressions), Wilson(_purchases, _impressions), Math.Round(_revenue, 2), _priced);
    }
}
