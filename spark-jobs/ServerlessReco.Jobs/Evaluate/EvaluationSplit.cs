using System.Globalization;
using ServerlessReco.Domain;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Evaluate;

/// <summary>
/// Train/test split of the event log. Relevant test items are the items a user interacted with in the test
/// part that they had NOT interacted with in the train part: evaluation excludes training items from the
/// ranking, so a repeat purchase could never be hit and would only deflate every method equally.
/// Users and items unseen in training cannot be ranked by any method and are left out of the test.
/// </summary>
public sealed class EvaluationSplit
{
    public required TrainingData Train { get; init; }
    public required IReadOnlyList<InteractionEvent> TrainEvents { get; init; }
    /// <summary>Every test-period event, new users and items included (content quality ranks items training never saw).</summary>
    public required IReadOnlyList<InteractionEvent> TestEvents { get; init; }
    public required CsrMatrix Test { get; init; }
    public required string Description { get; init; }

    public static (List<InteractionEvent> Train, List<InteractionEvent> Test, string Description) Divide(IReadOnlyList<InteractionEvent> events, string spec)
    {
        var parts = spec.Split(':');
        if (parts[0] == "time" && parts.Length == 2 && DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return (events.Where(e => e.Timestamp < at).ToList(), events.Where(e => e.Timestamp >= at).ToList(), $"time split at {at:yyyy-MM-dd}");
        if (parts[0] == "stratified" && parts.Length is 2 or 3
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio) && ratio is > 0 and < 1)
        {
            int seed = parts.Length == 3 && int.TryParse(parts[2], CultureInfo.InvariantCulture, out int s) ? s : 42;
            return Stratified(events, ratio, seed);
        }
        throw new ArgumentException($"--split '{spec}' is not understood: use time:YYYY-MM-DD or stratified:RATIO[:SEED], e.g. stratified:0.75:42.");
    }

    /// <summary>Per user, a seeded random share of their distinct items goes to train (by item, so one item never lands on both sides).</summary>
    private static (List<InteractionEvent>, List<InteractionEvent>, string) Stratified(IReadOnlyList<InteractionEvent> events, double ratio, int seed)
    {
        var train = new List<InteractionEvent>();
        var test = new List<InteractionEvent>();
        foreach (var user in events.GroupBy(e => e.User).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (user.Key.Length == 0) { train.AddRange(user); continue; }
            var items = user.Select(e => e.Item).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            // String hash codes are randomised per process; a hash of the id's bytes gives every run the same split.
            var random = new Random((int)System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(user.Key), seed));
            random.Shuffle(items);
            int keep = Math.Max(1, (int)Math.Round(items.Length * ratio));
            var trainItems = items.Take(keep).ToHashSet(StringComparer.Ordinal);
            foreach (var e in user) (trainItems.Contains(e.Item) ? train : test).Add(e);
        }
        return (train, test, $"stratified split {ratio:0.##} train per user, seed {seed}");
    }

    public static EvaluationSplit Build(IReadOnlyList<InteractionEvent> events, string spec, InteractionStrength strength)
    {
        var (trainEvents, testEvents, description) = Divide(events, spec);
        var reference = trainEvents.Count > 0 ? trainEvents.Max(e => e.Timestamp) : DateTimeOffset.UnixEpoch;
        var train = TrainingData.Build(trainEvents, strength, reference);
        var users = IdIndex.Of(train.UserIds);
        var items = IdIndex.Of(train.ItemIds);
        var rows = new List<int>();
        var cols = new List<int>();
        foreach (var e in testEvents)
        {
            if (e.User.Length == 0 || strength.Weights.Of(e) <= 0) continue;
            if (!users.TryGetValue(e.User, out int u) || !items.TryGetValue(e.Item, out int i)) continue;
            if (train.UserItems.RowIndices(u).BinarySearch(i) >= 0) continue;
            rows.Add(u);
            cols.Add(i);
        }
        var test = CsrMatrix.Binary(train.UserIds.Length, train.ItemIds.Length, rows.ToArray(), cols.ToArray());
        return new EvaluationSplit { Train = train, TrainEvents = trainEvents, TestEvents = testEvents, Test = test, Description = description };
    }
}
