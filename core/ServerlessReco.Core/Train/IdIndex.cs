namespace ServerlessReco.Train;

public static class IdIndex
{
    /// <summary>Id -> its position in <paramref name="ids"/> (the first one, should an id repeat).</summary>
    public static Dictionary<string, int> Of(IReadOnlyList<string> ids)
    {
        var index = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++) index.TryAdd(ids[i], i);
        return index;
    }
}
