using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Train;

namespace ServerlessReco.Benchmarks;

/// <summary>
/// Seconds per ALS iteration on a generated matrix shaped like MovieLens 20M with 4+ stars, the data set behind
/// benfred/implicit's published CPU figures (0.84 s/iteration at 64 factors on 8 cores; Spark MLlib 12.3 s).
/// </summary>
public static class AlsBenchmark
{
    public const double ImplicitSecondsPerIteration = 0.84;
    public const int ImplicitCores = 8;

    public static int Run(int users, int items, long nonZeros, int factors, int iterations, int threads, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var matrix = SyntheticInteractions.Generate(users, items, nonZeros, seed: 20);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"matrix: {matrix.Rows:N0} users x {matrix.Cols:N0} items, {matrix.NonZeros:N0} non-zeros (generated in {clock.Elapsed.TotalSeconds:F1} s)"));
        var seconds = new List<double>();
        ImplicitAls.Fit(matrix, new AlsOptions { Factors = factors, Iterations = iterations, Threads = threads }, r =>
        {
            seconds.Add(r.Seconds);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  iteration {r.Iteration}: {r.Seconds:F2} s"));
        });
        // The first iteration pays for JIT tiering and page faults on fresh arrays; report the median of the rest too.
        var steady = seconds.Skip(1).Order().ToList();
        double median = steady.Count > 0 ? steady[steady.Count / 2] : seconds[0];
        double mean = seconds.Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, {threads} threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ServerlessReco ALS: {median:F2} s/iteration (median after the first; mean of all {mean:F2}), {factors} factors, {threads} threads = {median * threads:F1} core-seconds"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"benfred/implicit (published): {ImplicitSecondsPerIteration:F2} s/iteration on {ImplicitCores} cores = {ImplicitSecondsPerIteration * ImplicitCores:F1} core-seconds"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target on this machine: <= 2.00 s/iteration -> {(median <= 2.0 ? "met" : "NOT met")}"));
        return 0;
    }
}
