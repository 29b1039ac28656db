using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Train;

/// <summary>A training run: what to learn (recorded in the manifest), up to when, and on how many cores.</summary>
public sealed record TrainSettings
{
    public TrainingParameters Parameters { get; init; } = new();
    public DateTimeOffset? Until { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Also train the sequence model with these options (recorded in the manifest); null: ALS only.</summary>
    public Sequence.SequenceOptions? Sequence { get; init; }

    public AlsOptions Als => Parameters.Als with { Threads = Threads };
}
