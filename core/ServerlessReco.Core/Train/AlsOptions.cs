namespace ServerlessReco.Train;

/// <summary>
/// Hyper-parameters of implicit-feedback ALS (Hu, Koren &amp; Volinsky 2008) solved with a few
/// conjugate-gradient steps per row (Takacs, Pilaszy &amp; Tikk 2011).
/// </summary>
public sealed record AlsOptions
{
    public int Factors { get; init; } = 64;
    public int Iterations { get; init; } = 15;
    public float Regularization { get; init; } = 0.05f;

    /// <summary>Confidence slope: c_ui = 1 + Alpha * r_ui.</summary>
    public float Alpha { get; init; } = 10f;

    /// <summary>CG steps per row and half-iteration; warm starts make 3 enough in practice.</summary>
    public int CgSteps { get; init; } = 3;

    public int Seed { get; init; } = 42;
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Off by default because the full objective costs about as much as a CG step.</summary>
    public bool ComputeLoss { get; init; }

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
