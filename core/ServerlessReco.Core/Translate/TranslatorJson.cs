using System.Text.Json.Serialization;

namespace ServerlessReco.Translate;

internal sealed class TranslateResultItem
{
    public DetectedLanguageItem? DetectedLanguage { get; set; }
    public List<TranslationItem>? Translations { get; set; }
}

internal sealed class DetectedLanguageItem
{
    public string? Language { get; set; }
    public float Score { get; set; }
}

internal sealed class TranslationItem
{
    public string? Text { get; set; }
    public string? To { get; set; }
}

internal sealed class TranslatorErrorEnvelope
{
    public TranslatorError? Error { get; set; }
}

internal sealed class TranslatorError
{
    // The service sends a number (400036); read as a string too so a gateway or future version sending
    // "400036" does not turn a useful error into a JSON exception.
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int Code { get; set; }
    public string? Message { get; set; }
}

// Source-generated so the library stays trimming/AOT-safe (the project sets IsAotCompatible).
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(List<TranslateResultItem>))]
[JsonSerializable(typeof(TranslatorErrorEnvelope))]
internal sealed partial class TranslatorJsonContext : JsonSerializerContext;
