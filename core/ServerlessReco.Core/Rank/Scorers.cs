namespace ServerlessReco.Rank;

/// <summary>
/// One way of scoring items for a shopper. The pipeline asks its scorers in order and ranks with the first that
/// has something to say; filters, diversity, cross-category slots and explanations are the pipeline's, so a new
/// model (a sequence model, a search re-ranker) is one implementation of this and nothing else.
/// </summary>
public interface IScorer
{
    /// <summary>This scorer's view of the shopper, or null when it knows nothing about them.</summary>
    ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market);
}

/// <summary>One request's scores: asked for the best allowed items (more than once, with other filters) and for reasons.</summary>
public abstract class ShopperScores
{
    public abstract Strategy Strategy { get; }

    /// <summary>The best <paramref name="count"/> items the filter allows, best first.</summary>
    public abstract List<Candidate> Top(int count, ItemFilter filter);

    public abstract Reason Explain(int item);
}

/// <summary>Scores held as one value per model item: popularity, similar items, any model that scores everything at once.</summary>
public sealed class DenseScores(Strategy strategy, ReadOnlyMemory<float> scores, Func<int, Reason> explain) : ShopperScores
{
    public override Strategy Strategy => strategy;
    public override List<Candidate> Top(int count, ItemFilter filter) => Candidates.Top(scores.Span, count, filter);
    public override Reason Explain(int item) => explain(item);
}

/// <summary>
/// Implicit ALS: the shopper's trained vector, refreshed with the events the model has not seen (see
/// <see cref="FoldIn"/>), with the alpha, regularization and interaction strength the model was trained with.
/// Nothing for a shopper the model does not know and who has no events yet.
/// </summary>
public sealed class AlsScorer : IScorer
{
    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market) =>
        UserVector(model, shopper, out var strategy) is { } vector ? For(model, shopper, vector, strategy) : null;

    /// <summary>Scores for a vector <see cref="UserVector"/> already gave, so a blend does not solve the fold-in twice.</summary>
    internal static ShopperScores For(ServingModel model, ShopperHistory shopper, float[] vector, Strategy strategy) =>
        new Scores(model, shopper, vector, strategy);

    /// <summary>The vector the shopper is ranked with: trained, refreshed by fold-in, or null when there is neither.</summary>
    public static float[]? UserVector(ServingModel model, ShopperHistory shopper, out Strategy strategy)
    {
        bool known = shopper.ModelRow >= 0;
        if (shopper.FoldIn.Count > 0)
        {
            var vector = new float[model.K];
            FoldIn.Solve(model.Artifacts.ItemFactors, model.K, model.Gram, known ? model.UserVector(shopper.ModelRow) : [],
                [.. shopper.FoldIn.Keys], [.. shopper.FoldIn.Values], model.Training.Als.Alpha, vector);
            strategy = Strategy.AlsRealtime;
            return vector;
        }
        strategy = Strategy.Als;
        return known ? model.UserVector(shopper.ModelRow).ToArray() : null;
    }

    private sealed class Scores(ServingModel model, ShopperHistory shopper, float[] vector, Strategy strategy) : ShopperScores
    {
        public override Strategy Strategy => strategy;
        public override List<Candidate> Top(int count, ItemFilter filter) => Candidates.Top(model, vector, count, filter);
        public override Reason Explain(int item) => shopper.Explain(model, item);
    }
}

/// <summary>The market's popularity (shrunk toward global by the train job): everyone gets it, so it comes last.</summary>
public sealed class PopularityScorer : IScorer
{
    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market) => For(model, market);

    public static DenseScores For(ServingModel model, string? market)
    {
        var row = model.PopularityRow(market ?? Publish.ModelArtifacts.GlobalMarket, out bool marketSpecific);
        var reason = marketSpecific ? new Reason("popular-in-market", Market: market) : new Reason("popular-globally");
        return new DenseScores(Strategy.Popularity, row, _ => reason);
    }
}
