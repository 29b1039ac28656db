using ServerlessReco.Domain;
using ServerlessReco.Feedback;

namespace ServerlessReco.Tests.Feedback;

public class ArmAssignmentTests
{
    private static readonly Pseudonymizer Pseudonyms = new(Pseudonymizer.DevelopmentKey);
    private static readonly string[] Shoppers = [.. Enumerable.Range(0, 100_000).Select(i => Pseudonyms.Pseudonymize("shopper-" + i))];

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.02)]
    public void The_challenger_share_is_within_two_points_over_100000_pseudonyms(double share)
    {
        int challengers = Shoppers.Count(s => ArmAssignment.Assign("exp-1", s, share) == Arm.Challenger);
        Assert.InRange(challengers / (double)Shoppers.Length, share - 0.02, share + 0.02);
    }

    [Fact]
    public void A_shopper_keeps_their_arm_and_a_new_experiment_reshuffles()
    {
        var first = Shoppers.Take(2_000).Select(s => ArmAssignment.Assign("exp-1", s, 0.5)).ToArray();
        Assert.Equal(first, Shoppers.Take(2_000).Select(s => ArmAssignment.Assign("exp-1", s, 0.5)));
        var other = Shoppers.Take(2_000).Select(s => ArmAssignment.Assign("exp-2", s, 0.5)).ToArray();
        // Independent experiments agree on about half the shoppers, not on all of them.
        int same = first.Zip(other).Count(p => p.First == p.Second);
        Assert.InRange(same, 800, 1_200);
    }

    [Fact]
    public void Growing_the_share_only_moves_control_shoppers_to_the_challenger()
    {
        foreach (var s in Shoppers.Take(5_000))
            if (ArmAssignment.Assign("exp-1", s, 0.1) == Arm.Challenger) Assert.Equal(Arm.Challenger, ArmAssignment.Assign("exp-1", s, 0.3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(double.NaN)]
    public void A_share_outside_zero_to_one_is_refused(double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelExperiment("exp", "v2", "sha", share, DateTimeOffset.UtcNow).Validate());
}
