namespace ServerlessReco.Train;

/// <param name="Iteration">1-based iteration number.</param>
/// <param name="Seconds">Wall time of the user and item passes, excluding the optional loss.</param>
/// <param name="Loss">Full objective after the iteration; null unless <see cref="AlsOptions.ComputeLoss"/>.</param>
public readonly record struct AlsIterationReport(int Iteration, double Seconds, double? Loss);
