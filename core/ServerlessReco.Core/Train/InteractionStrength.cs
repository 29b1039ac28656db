using System.Text.Json.Serialization;
using ServerlessReco.Domain;

namespace ServerlessReco.Train;

/// <summary>
/// The one definition of how much an event counts: its type's weight times exponential time decay. Training
/// builds its matrix with it and serving folds fresh events in with it, both from the values the model's
/// manifest records, so the two cannot disagree.
/// </summary>
public sealed record InteractionStrength
{
    [JsonRequired] public EventWeights Weights { get; init; } = new();

    /// <summary>Days after which an event counts half; 0 means no decay.</summary>
    [JsonRequired] public double HalfLifeDays { get; init; } = 180;

    /// <summary>The event's strength r as of <paramref name="asOf"/>; events from the future count as new.</summary>
    public float Of(InteractionEvent e, DateTimeOffset asOf)
    {
        float weight = Weights.Of(e);
        if (weight <= 0 || HalfLifeDays <= 0) return Math.Max(0, weight);
        double ageDays = Math.Max(0, (asOf - e.Timestamp).TotalDays);
        return weight * (float)Math.Exp(-Math.Log(2) / HalfLifeDays * ageDays);
    }

    public void Validate()
    {
        Weights.Validate();
        if (!double.IsFinite(HalfLifeDays) || HalfLifeDays < 0)
            throw new ArgumentOutOfRangeException(nameof(HalfLifeDays), HalfLifeDays, "The half-life must be finite and not negative (0: no decay).");
    }
}
