using ServerlessReco.Domain;

namespace ServerlessReco.Train;

/// <summary>
/// How strongly each event says "this shopper wants this item", before time decay. A purchase is the unit;
/// a rating counts its value out of 5. Quantity is ignored on purpose: wholesale orders of hundreds of units
/// would otherwise drown every other signal.
/// </summary>
public sealed record EventWeights(float View = 0.1f, float Click = 0.25f, float AddToCart = 0.5f, float Purchase = 1f, float RatingScale = 0.2f)
{
    public float Of(InteractionEvent e) => e.Type switch
    {
        EventType.View => View,
        EventType.Click => Click,
        EventType.AddToCart => AddToCart,
        EventType.Purchase => Purchase,
        EventType.Rating => (float)Math.Clamp(e.Value ?? 0, 0, 5) * RatingScale,
        _ => 0,
    };

    public Dictionary<string, string> Describe() => new()
    {
        ["weight.view"] = View.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["weight.click"] = Click.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["weight.add_to_cart"] = AddToCart.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["weight.purchase"] = Purchase.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["weight.rating_per_star"] = RatingScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
