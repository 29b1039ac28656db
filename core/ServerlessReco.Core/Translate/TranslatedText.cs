namespace ServerlessReco.Translate;

/// <summary>The service's guess at the source language, present only when no source language was given.</summary>
public sealed class DetectedLanguage
{
    public DetectedLanguage(string language, float score)
    {
        Language = language;
        Score = score;
    }

    public string Language { get; }

    /// <summary>Confidence between 0 and 1.</summary>
    public float Score { get; }
}

/// <summary>One input text's translations, keyed by target language code (case-insensitive).</summary>
public sealed class TranslatedText
{
    public TranslatedText(DetectedLanguage? detectedLanguage, IReadOnlyDictionary<string, string> translations)
    {
        DetectedLanguage = detectedLanguage;
        Translations = translations;
    }

    public DetectedLanguage? DetectedLanguage { get; }

    public IReadOnlyDictionary<string, string> Translations { get; }
}
