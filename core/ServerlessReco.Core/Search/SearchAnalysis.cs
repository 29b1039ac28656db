using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Ar;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Cz;
using Lucene.Net.Analysis.Da;
using Lucene.Net.Analysis.De;
using Lucene.Net.Analysis.El;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Es;
using Lucene.Net.Analysis.Fi;
using Lucene.Net.Analysis.Fr;
using Lucene.Net.Analysis.Hu;
using Lucene.Net.Analysis.It;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Nl;
using Lucene.Net.Analysis.No;
using Lucene.Net.Analysis.Pt;
using Lucene.Net.Analysis.Ro;
using Lucene.Net.Analysis.Ru;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Sv;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Analysis.Tr;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Codecs;
using Lucene.Net.Codecs.Lucene41;
using Lucene.Net.Codecs.Lucene45;
using Lucene.Net.Codecs.Lucene46;
using Lucene.Net.Util;

namespace ServerlessReco.Search;

/// <summary>
/// The index's fields and how each is analysed, for the job that writes the index and the handler that queries
/// it: <see cref="SourceField"/> holds every item's source title with language-neutral tokens, and one field per
/// language (<c>lang.de</c>, ...) holds the titles in that language, the source title included, with that
/// language's Lucene analyzer (stop words, stemming, CJK bigrams).
/// </summary>
public static class SearchAnalysis
{
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;
    public const string IdField = "id";
    public const string SourceField = "source";
    public const string LanguageFieldPrefix = "lang.";

    /// <summary>The field of a BCP 47 tag: its primary language subtag (de-AT and de share lang.de).</summary>
    public static string FieldOf(string languageTag)
    {
        int dash = languageTag.IndexOf('-');
        return LanguageFieldPrefix + (dash > 0 ? languageTag[..dash] : languageTag).ToLowerInvariant();
    }

    /// <summary>
    /// Lucene.Net.Analysis.Common's analyzer for a language field; a language it has none for (Polish, Korean with
    /// Latin script, ...) gets the standard tokenizer and lower-casing without stop words, which still matches words.
    /// </summary>
    public static Analyzer AnalyzerFor(string field) => field.StartsWith(LanguageFieldPrefix, StringComparison.Ordinal)
        ? field[LanguageFieldPrefix.Length..] switch
        {
            "en" => new EnglishAnalyzer(Version),
            "de" => new GermanAnalyzer(Version),
            "fr" => new FrenchAnalyzer(Version),
            "es" => new SpanishAnalyzer(Version),
            "it" => new ItalianAnalyzer(Version),
            "pt" => new PortugueseAnalyzer(Version),
            "nl" => new DutchAnalyzer(Version),
            "sv" => new SwedishAnalyzer(Version),
            "da" => new DanishAnalyzer(Version),
            "fi" => new FinnishAnalyzer(Version),
            "nb" or "nn" or "no" => new NorwegianAnalyzer(Version),
            "ru" => new RussianAnalyzer(Version),
            "cs" => new CzechAnalyzer(Version),
            "el" => new GreekAnalyzer(Version),
            "tr" => new TurkishAnalyzer(Version),
            "hu" => new HungarianAnalyzer(Version),
            "ro" => new RomanianAnalyzer(Version),
            "ar" => new ArabicAnalyzer(Version),
            // Bigrams of Han, Hiragana, Katakana and Hangul: words are not separated by spaces.
            "ja" or "zh" or "ko" => new CJKAnalyzer(Version),
            _ => Neutral(),
        }
        : Neutral();

    /// <summary>One analyzer for every field the index has (and the neutral one for any other).</summary>
    public static Analyzer ForFields(IEnumerable<string> fields) =>
        new PerFieldAnalyzerWrapper(Neutral(), fields.Distinct(StringComparer.Ordinal).ToDictionary(f => f, AnalyzerFor));

    /// <summary>The terms <paramref name="analyzer"/> makes of <paramref name="text"/> in <paramref name="field"/>, in order, repeats removed.</summary>
    public static List<string> Terms(Analyzer analyzer, string field, string text)
    {
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream(field, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            var t = term.ToString();
            if (!terms.Contains(t)) terms.Add(t);
        }
        stream.End();
        return terms;
    }

    /// <summary>
    /// Lucene finds its codec and formats by name through reflection over its own assembly, which Native AOT
    /// cannot do; these factories name the three the index uses (Lucene 4.6 codec, 4.1 postings, 4.5 doc
    /// values) directly. Set once per process before any index is opened or written.
    /// </summary>
    public static void UseCompiledCodecs() => _ = CodecsOnce.Value;

    private static readonly Lazy<bool> CodecsOnce = new(() =>
    {
        var factory = new CompiledCodecs();
        Codec.SetCodecFactory(factory);
        PostingsFormat.SetPostingsFormatFactory(factory);
        DocValuesFormat.SetDocValuesFormatFactory(factory);
        return true;
    });

    private static StandardAnalyzer Neutral() => new(Version, CharArraySet.Empty);

    private sealed class CompiledCodecs : ICodecFactory, IPostingsFormatFactory, IDocValuesFormatFactory
    {
        public Codec GetCodec(string name) => name == "Lucene46" ? new Lucene46Codec() : throw Unknown("codec", name);
        public PostingsFormat GetPostingsFormat(string name) => name == "Lucene41" ? new Lucene41PostingsFormat() : throw Unknown("postings format", name);
        public DocValuesFormat GetDocValuesFormat(string name) => name == "Lucene45" ? new Lucene45DocValuesFormat() : throw Unknown("doc values format", name);

        private static InvalidDataException Unknown(string what, string name) =>
            new($"The search index uses the Lucene {what} '{name}', which this build does not include: rebuild the index with this version of build-search-index.");
    }
}
