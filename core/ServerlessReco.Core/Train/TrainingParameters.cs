using System.Text.Json.Serialization;

namespace ServerlessReco.Train;

/// <summary>
/// Everything a training run decided that serving must reproduce: the ALS hyper-parameters (fold-in solves with
/// the same alpha and regularization), how events become strengths, and the popularity shrinkage. Recorded in
/// every manifest as typed fields; the defaults here are the product's only defaults.
/// </summary>
public sealed record TrainingParameters
{
    [JsonRequired] public AlsOptions Als { get; init; } = new();
    [JsonRequired] public InteractionStrength Interactions { get; init; } = new();

    /// <summary>Pseudo-events of global popularity added to every market's counts.</summary>
    [JsonRequired] public float PopularityShrinkage { get; init; } = 50f;

    /// <summary>The sequence model's architecture and training, when the version has one; null for an ALS-only model.</summary>
    public Sequence.SequenceOptions? Sequence { get; init; }

    /// <summary>Where the hyper-parameters came from: "defaults", "command line", or the tuning run that chose them.</summary>
    public string ChosenBy { get; init; } = "defaults";

    public void Validate()
    {
        Als.Validate();
        Interactions.Validate();
        Sequence?.Validate();
        if (!float.IsFinite(PopularityShrinkage) || PopularityShrinkage < 0)
            throw new ArgumentOutOfRangeException(nameof(PopularityShrinkage), PopularityShrinkage, "Popularity shrinkage must be finite and not negative.");
    }
}
