namespace ServerlessReco.Evaluate;

/// <summary>
/// Writes a score for every item (<paramref name="scores"/> has one slot per item) for one user;
/// higher means recommended earlier. A plain delegate so that any model, baseline or lambda can be
/// evaluated without an adapter type. Must be safe to call concurrently for different users.
/// </summary>
public delegate void UserScorer(int user, Span<float> scores);
