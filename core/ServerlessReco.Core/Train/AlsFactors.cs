namespace ServerlessReco.Train;

/// <summary>Trained latent factors, both matrices row-major with <see cref="Factors"/> columns.</summary>
public sealed class AlsFactors
{
    public AlsFactors(int factors, float[] userFactors, float[] itemFactors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factors, 1);
        if (userFactors.Length % factors != 0)
            throw new ArgumentException($"Length {userFactors.Length} is not a multiple of {factors} factors.", nameof(userFactors));
        if (itemFactors.Length % factors != 0)
            throw new ArgumentException($"Length {itemFactors.Length} is not a multiple of {factors} factors.", nameof(itemFactors));
        Factors = factors;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
    }

    public int Factors { get; }
    public float[] UserFactors { get; }
    public float[] ItemFactors { get; }
    public int Users => UserFactors.Length / Factors;
    public int Items => ItemFactors.Length / Factors;

    public ReadOnlySpan<float> User(int u) => UserFactors.AsSpan(u * Factors, Factors);
    public ReadOnlySpan<float> Item(int i) => ItemFactors.AsSpan(i * Factors, Factors);
}
