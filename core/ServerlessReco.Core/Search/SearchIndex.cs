using System.Numerics.Tensors;
using Lucene.Net.Analysis;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using ServerlessReco.Domain;
using ServerlessReco.Embed;
using ServerlessReco.Rank;

namespace ServerlessReco.Search;

/// <summary>
/// A search index version opened for queries: Lucene BM25 over the title fields with typo-tolerant terms, and
/// cosine over the items' embeddings. Rows are positions in <see cref="ItemIds"/>; queries are thread-safe.
/// </summary>
public sealed class SearchIndex : IDisposable
{
    /// <summary>Weight of a fuzzy (typo) match against the exact term: a word spelled right ranks first.</summary>
    private const float FuzzyBoost = 0.5f;
    /// <summary>DisjunctionMax tie-breaker: the best language field decides, a second field matching too adds a little.</summary>
    private const float FieldTieBreaker = 0.1f;

    private readonly RAMDirectory _directory;
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;
    private readonly Analyzer _analyzer;
    private readonly string[] _fields;
    private readonly int[] _rowOfDoc;
    private readonly float[]? _embeddings;

    private SearchIndex(SearchArtifacts artifacts)
    {
        SearchAnalysis.UseCompiledCodecs();
        Manifest = artifacts.Manifest;
        ItemIds = artifacts.ItemIds;
        _fields = [SearchAnalysis.SourceField, .. artifacts.Manifest.LanguageFields];
        _analyzer = SearchAnalysis.ForFields(_fields);
        _directory = new RAMDirectory();
        foreach (var (name, bytes) in artifacts.LuceneFiles)
        {
            using var output = _directory.CreateOutput(name, IOContext.DEFAULT);
            output.WriteBytes(bytes, bytes.Length);
        }
        _reader = DirectoryReader.Open(_directory);
        _searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity() };
        var rows = new Dictionary<string, int>(ItemIds.Length, StringComparer.Ordinal);
        for (int i = 0; i < ItemIds.Length; i++) rows[ItemIds[i]] = i;
        _rowOfDoc = new int[_reader.MaxDoc];
        for (int doc = 0; doc < _rowOfDoc.Length; doc++)
            _rowOfDoc[doc] = _reader.Document(doc).Get(SearchAnalysis.IdField) is { } id && rows.TryGetValue(id, out int row) ? row
                : throw new InvalidDataException($"Search index version {Manifest.Version}: Lucene document {doc} names no item of {SearchIndexStore.IdsFile}.");
        _embeddings = artifacts.Embeddings;
        // The source field's terms are the titles' words, lower-cased and unstemmed: the dictionary typos are corrected against.
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        if (MultiFields.GetTerms(_reader, SearchAnalysis.SourceField) is { } terms)
        {
            var term = terms.GetEnumerator();
            while (term.MoveNext()) vocabulary[term.Term.Utf8ToString()] = term.DocFreq;
        }
        Vocabulary = vocabulary;
    }

    /// <summary>Words of the source titles with the number of items holding each.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary { get; }

    public SearchManifest Manifest { get; }
    public string[] ItemIds { get; }
    public string Version => Manifest.Version;
    /// <summary>Whether <see cref="Semantic"/> can answer: the index was built with an encoder.</summary>
    public bool HasEmbeddings => _embeddings is not null;

    public static SearchIndex Open(SearchArtifacts artifacts) => new(artifacts);

    /// <summary>
    /// Writes a new index version's content from the catalogue: one Lucene document per item (id, source title,
    /// each title in its language's field), in <paramref name="items"/> order, merged into one segment.
    /// </summary>
    /// <param name="embeddings">Rows in <paramref name="items"/> order (<see cref="ItemTextEmbeddings"/>), with the encoder that made them; null for a lexical-only index.</param>
    public static SearchArtifacts Build(IReadOnlyList<CatalogItem> items, string version, DateTimeOffset createdAt, float[]? embeddings = null, EncoderIdentity? encoder = null, int embeddingDimension = 0)
    {
        SearchAnalysis.UseCompiledCodecs();
        if (embeddings is not null && (encoder is null || embeddings.Length != items.Count * embeddingDimension))
            throw new ArgumentException("Embeddings need their encoder and one row of the given dimension per item.", nameof(embeddings));
        var languages = items.SelectMany(LanguageTitles).Select(t => t.Language).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();
        var languageFields = languages.Select(SearchAnalysis.FieldOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        using var directory = new RAMDirectory();
        var config = new IndexWriterConfig(SearchAnalysis.Version, SearchAnalysis.ForFields([SearchAnalysis.SourceField, .. languageFields]))
        {
            OpenMode = OpenMode.CREATE,
            Similarity = new BM25Similarity(),
        };
        using (var writer = new IndexWriter(directory, config))
        {
            foreach (var item in items)
            {
                var document = new Document
                {
                    new StringField(SearchAnalysis.IdField, item.Id, Field.Store.YES),
                    new TextField(SearchAnalysis.SourceField, item.Title, Field.Store.NO),
                };
                foreach (var (language, title) in LanguageTitles(item))
                    document.Add(new TextField(SearchAnalysis.FieldOf(language), title, Field.Store.NO));
                writer.AddDocument(document);
            }
            writer.ForceMerge(1);
            writer.Commit();
        }
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in directory.ListAll())
        {
            if (name == IndexWriter.WRITE_LOCK_NAME) continue;
            using var input = directory.OpenInput(name, IOContext.READ_ONCE);
            var bytes = new byte[input.Length];
            input.ReadBytes(bytes, 0, bytes.Length);
            files[name] = bytes;
        }
        var manifest = new SearchManifest
        {
            Version = version,
            CreatedAt = createdAt,
            Items = items.Count,
            LanguageFields = languageFields,
            Languages = languages,
            Encoder = embeddings is null ? null : encoder,
            EmbeddingDimension = embeddings is null ? 0 : embeddingDimension,
        };
        return new SearchArtifacts(manifest, files, [.. items.Select(i => i.Id)], embeddings);
    }

    /// <summary>The query with misspelt words replaced by the nearest title words (<see cref="HybridRanking.Correct"/>), for the encoder.</summary>
    public string Corrected(string query) => HybridRanking.Correct(query, Vocabulary);

    /// <summary>
    /// Hybrid retrieval: the best <paramref name="pool"/> rows by <see cref="Lexical"/> and by <see cref="Semantic"/>
    /// (skipped when <paramref name="queryVector"/> is empty; embed <see cref="Corrected"/>), fused by
    /// <see cref="HybridRanking.Fuse"/>; what the search endpoint ranks and the search benchmark measures.
    /// </summary>
    public FusedRanking Search(string text, ReadOnlySpan<float> queryVector, int pool)
    {
        var lexical = Lexical(text, pool).Rows;
        var semantic = queryVector.IsEmpty ? [] : Semantic(queryVector, pool).Rows;
        return HybridRanking.Fuse(lexical, semantic, lexical.Length + semantic.Length);
    }

    /// <summary>
    /// BM25 over every field, each query word matched exactly or, when the field lacks it, within
    /// <see cref="HybridRanking.MaxEdits"/> typos; per item the best field counts (a query is in one language).
    /// Rows best first with their scores.
    /// </summary>
    public (int[] Rows, float[] Scores) Lexical(string text, int count)
    {
        var fieldQueries = new DisjunctionMaxQuery(FieldTieBreaker);
        foreach (var field in _fields)
        {
            var terms = SearchAnalysis.Terms(_analyzer, field, text);
            if (terms.Count == 0) continue;
            var words = new BooleanQuery();
            foreach (var term in terms)
            {
                var exact = new Term(field, term);
                words.Add(new TermQuery(exact), Occur.SHOULD);
                // A word the field holds is taken as meant: expanding it to its neighbours costs most of a search's CPU.
                if (HybridRanking.MaxEdits(term.Length) is > 0 and var edits && _reader.DocFreq(exact) == 0)
                    words.Add(new FuzzyQuery(exact, edits) { Boost = FuzzyBoost }, Occur.SHOULD);
            }
            fieldQueries.Add(words);
        }
        if (fieldQueries.Disjuncts.Count == 0) return ([], []);
        var hits = _searcher.Search(fieldQueries, count).ScoreDocs;
        return ([.. hits.Select(h => _rowOfDoc[h.Doc])], [.. hits.Select(h => h.Score)]);
    }

    /// <summary>The rows whose embeddings are closest (cosine) to <paramref name="query"/> (unit length, the index's encoder), best first.</summary>
    public (int[] Rows, float[] Scores) Semantic(ReadOnlySpan<float> query, int count)
    {
        if (_embeddings is null) return ([], []);
        int d = Manifest.EmbeddingDimension;
        if (query.Length != d) throw new ArgumentException($"The query vector has {query.Length} dimensions, the index's embeddings {d}.", nameof(query));
        var scores = new float[ItemIds.Length];
        Scoring.ScoreAll(_embeddings, d, query, scores);
        // Items without a title have a zero row: nothing to say about them.
        for (int i = 0; i < scores.Length; i++)
            if (scores[i] == 0 && TensorPrimitives.Norm(_embeddings.AsSpan(i * d, d)) == 0) scores[i] = float.NegativeInfinity;
        count = Math.Min(count, scores.Length);
        var rows = new int[count];
        var top = new float[count];
        int got = TopK.Select(scores, count, rows, top);
        return (rows[..got], top[..got]);
    }

    public void Dispose()
    {
        _reader.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
    }

    private static IEnumerable<(string Language, string Title)> LanguageTitles(CatalogItem item)
    {
        if (item.Title.Length > 0) yield return (item.SourceLanguage, item.Title);
        foreach (var (language, title) in item.Titles ?? [])
            if (title.Length > 0) yield return (language, title);
    }
}
