using System.Globalization;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Train;

/// <summary>
/// Training knobs. The defaults were chosen with `evaluate --tune` on Online Retail's validation month (the
/// month before the held-out one), never on the test month.
/// </summary>
public sealed record TrainSettings
{
    public int Factors { get; init; } = 64;
    public int Iterations { get; init; } = 15;
    public float Regularization { get; init; } = 10f;
    public float Alpha { get; init; } = 3f;
    public double HalfLifeDays { get; init; } = 180;
    public DateTimeOffset? Until { get; init; }
    public int Seed { get; init; } = 42;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Pseudo-events of global popularity added to every market's counts.</summary>
    public float PopularityShrinkage { get; init; } = 50f;
    public EventWeights Weights { get; init; } = new();

    public AlsOptions Als => new()
    {
        Factors = Factors, Iterations = Iterations, Regularization = Regularization, Alpha = Alpha, Seed = Seed, Threads = Threads,
    };

    public Dictionary<string, string> Describe()
    {
        var p = new Dictionary<string, string>
        {
            ["algorithm"] = "implicit-als-cg",
            ["factors"] = Factors.ToString(CultureInfo.InvariantCulture),
            ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
            ["regularization"] = Regularization.ToString(CultureInfo.InvariantCulture),
            ["alpha"] = Alpha.ToString(CultureInfo.InvariantCulture),
            ["cgSteps"] = Als.CgSteps.ToString(CultureInfo.InvariantCulture),
            ["halfLifeDays"] = HalfLifeDays.ToString(CultureInfo.InvariantCulture),
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["threads"] = Threads.ToString(CultureInfo.InvariantCulture),
            ["popularityShrinkage"] = PopularityShrinkage.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in Weights.Describe()) p[k] = v;
        return p;
    }
}
