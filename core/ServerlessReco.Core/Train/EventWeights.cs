using System.Text.Json.Serialization;
using ServerlessReco.Domain;

namespace ServerlessReco.Train;

/// <summary>
/// How strongly each event says "this shopper wants this item", before time decay. A purchase is the unit;
/// a rating counts its value out of 5. Quantity is ignored on purpose: wholesale orders of hundreds of units
/// would otherwise drown every other signal. Every weight is required in a manifest: serving must fold events in
/// with the weights the model was trained with, never with its own.
/// </summary>
public sealed record EventWeights
{
    [JsonRequired] public float View { get; init; } = 0.1f;
    [JsonRequired] public float Click { get; init; } = 0.25f;
    [JsonRequired] public float AddToCart { get; init; } = 0.5f;
    [JsonRequired] public float Purchase { get; init; } = 1f;
    [JsonRequired] public float RatingPerStar { get; init; } = 0.2f;

    public float Of(InteractionEvent e) => e.Type switch
    {
        EventType.View => View,
        EventType.Click => Click,
        EventType.AddToCart => AddToCart,
        EventType.Purchase => Purchase,
        EventType.Rating => (float)Math.Clamp(e.Value ?? 0, 0, 5) * RatingPerStar,
        _ => 0,
    };

    public void Validate()
    {
        foreach (var (name, value) in new[] { ("view", View), ("click", Click), ("addToCart", AddToCart), ("purchase", Purchase), ("ratingPerStar", RatingPerStar) })
            if (!float.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(name, value, $"The event weight '{name}' must be finite and not negative.");
    }
}
