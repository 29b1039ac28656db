namespace ServerlessReco.Sequence;

/// <summary>
/// SplitMix64: a tiny seeded generator whose stream depends only on its seed. Every training example gets its
/// own (seed, step, example), so dropout and negatives do not depend on which thread handled the example.
/// </summary>
internal struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    public static SplitMix For(int seed, long step, int example) =>
        new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xD1B54A32D192ED03UL ^ (ulong)example * 0xABC98388FB8FAC03UL));

    public ulong Next()
    {
        ulong z = unchecked(_state += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    public int Next(int n) => (int)((Next() >> 1) % (ulong)n);

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
