using System.Text.Json.Serialization;

namespace ServerlessReco.Train;

/// <summary>
/// Hyper-parameters of implicit-feedback ALS (Hu, Koren &amp; Volinsky 2008) solved with a few
/// conjugate-gradient steps per row (Takacs, Pilaszy &amp; Tikk 2011). The defaults are the only ones in the
/// product: chosen with `evaluate --tune` on Online Retail's validation month (the month before the held-out
/// one), never on the test month. A manifest records every value; serving needs alpha and regularization.
/// </summary>
public sealed record AlsOptions
{
    [JsonRequired] public int Factors { get; init; } = 64;
    [JsonRequired] public int Iterations { get; init; } = 15;
    [JsonRequired] public float Regularization { get; init; } = 10f;

    /// <summary>Confidence slope: c_ui = 1 + Alpha * r_ui.</summary>
    [JsonRequired] public float Alpha { get; init; } = 3f;

    /// <summary>CG steps per row and half-iteration; warm starts make 3 enough in practice.</summary>
    [JsonRequired] public int CgSteps { get; init; } = 3;

    [JsonRequired] public int Seed { get; init; } = 42;

    /// <summary>How the work is spread, not what is learned: results do not depend on it, so no manifest records it.</summary>
    [JsonIgnore] public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Off by default because the full objective costs about as much as a CG step.</summary>
    [JsonIgnore] public bool ComputeLoss { get; init; }

    public void Validate()
    {
        if (Factors < 1)
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "Factors must be at least 1.");
        if (Iterations < 0)
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must not be negative.");
        if (!float.IsFinite(Regularization) || Regularization < 0)
            throw new ArgumentOutOfRangeException(nameof(Regularization), Regularization, "Regularization must be finite and not negative.");
        if (!float.IsFinite(Alpha) || Alpha < 0)
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be finite and not negative.");
        if (CgSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(CgSteps), CgSteps, "CgSteps must be at least 1.");
        if (Threads < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
    }
}
