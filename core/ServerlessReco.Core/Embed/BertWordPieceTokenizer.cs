using System.Globalization;
using System.Text;

namespace ServerlessReco.Embed;

/// <summary>
/// BERT tokenization as Hugging Face's BertTokenizer(Fast) does it: BertNormalizer (clean text, CJK ideographs
/// isolated, optional lowercase with accent stripping), BertPreTokenizer (split on whitespace and punctuation),
/// then greedy longest-match WordPiece where a word that cannot be fully matched becomes one [UNK].
/// </summary>
/// <remarks>
/// Written here rather than on Microsoft.ML.Tokenizers' BertTokenizer because that one drops symbols such as
/// emoji (the reference maps them to [UNK], which changes the embedding) and its token-count truncation stops
/// short of the reference's. Special-token strings inside the text ("[SEP]") are read as plain text so that
/// catalogue text cannot inject control tokens; Hugging Face would map them to their ids.
/// </remarks>
internal sealed class BertWordPieceTokenizer : IEncoderTokenizer
{
    // Hugging Face's default: longer "words" (URLs, hashes) are not worth a WordPiece search.
    private const int MaxInputCharsPerWord = 100;
    private const string ContinuationPrefix = "##";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly bool _lowercase;
    private readonly int _clsId;
    private readonly int _sepId;
    private readonly int _unkId;

    private BertWordPieceTokenizer(Dictionary<string, int> vocab, bool lowercase, string sourcePath)
    {
        _vocab = vocab;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _lowercase = lowercase;
        _clsId = SpecialId("[CLS]", sourcePath);
        _sepId = SpecialId("[SEP]", sourcePath);
        _unkId = SpecialId("[UNK]", sourcePath);
        PadId = SpecialId("[PAD]", sourcePath);
    }

    public int PadId { get; }

    public static BertWordPieceTokenizer Load(string vocabPath, bool lowercase)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (string line in File.ReadLines(vocabPath))
            vocab[line.TrimEnd()] = id++;
        return new BertWordPieceTokenizer(vocab, lowercase, vocabPath);
    }

    public int[] Encode(string text, int maxLength)
    {
        var ids = new List<int>(Math.Min(maxLength, 64)) { _clsId };
        int contentEnd = maxLength - 1;
        string normalized = Normalize(text);
        int wordStart = -1;
        int i = 0;
        while (i < normalized.Length && ids.Count < contentEnd)
        {
            Rune.DecodeFromUtf16(normalized.AsSpan(i), out Rune rune, out int width);
            bool isPunctuation = IsPunctuation(rune);
            if (rune.Value == ' ' || isPunctuation)
            {
                if (wordStart >= 0)
                    AppendWordPieces(normalized.AsSpan(wordStart, i - wordStart), ids);
                wordStart = -1;
                if (isPunctuation && ids.Count < contentEnd)
                    AppendWordPieces(normalized.AsSpan(i, width), ids);
            }
            else if (wordStart < 0)
            {
                wordStart = i;
            }
            i += width;
        }
        if (wordStart >= 0 && ids.Count < contentEnd)
            AppendWordPieces(normalized.AsSpan(wordStart), ids);
        if (ids.Count > contentEnd)
            ids.RemoveRange(contentEnd, ids.Count - contentEnd);
        ids.Add(_sepId);
        return ids.ToArray();
    }

    private void AppendWordPieces(ReadOnlySpan<char> word, List<int> ids)
    {
        int runeCount = 0;
        foreach (Rune _ in word.EnumerateRunes())
            runeCount++;
        if (runeCount > MaxInputCharsPerWord)
        {
            ids.Add(_unkId);
            return;
        }

        // Continuation candidates are "##" + word[start..end]; writing the prefix over the two characters just
        // before start (already consumed) gives that string as one contiguous span, with no allocation per try.
        Span<char> scratch = word.Length + 2 <= 256 ? stackalloc char[word.Length + 2] : new char[word.Length + 2];
        word.CopyTo(scratch[2..]);
        int firstPiece = ids.Count;
        int start = 0;
        while (start < word.Length)
        {
            if (start > 0)
                ContinuationPrefix.AsSpan().CopyTo(scratch[start..]);
            int end = word.Length;
            int pieceId = -1;
            while (end > start)
            {
                ReadOnlySpan<char> candidate = start == 0 ? word[..end] : scratch[start..(end + 2)];
                if (_lookup.TryGetValue(candidate, out pieceId))
                    break;
                end--;
                if (end > start && char.IsLowSurrogate(word[end]))
                    end--;
            }
            if (end == start)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(_unkId);
                return;
            }
            ids.Add(pieceId);
            start = end;
        }
    }

    // BertNormalizer: drop NUL, U+FFFD and control characters, map whitespace to ' ', surround CJK ideographs
    // with spaces, then (uncased vocabularies) strip accents via NFD and lowercase, in that order.
    private string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || IsControl(rune))
                continue;
            if (rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune))
                sb.Append(' ');
            else if (IsCjkIdeograph(rune.Value))
                sb.Append(' ').Append(rune).Append(' ');
            else
                sb.Append(rune);
        }
        if (!_lowercase)
            return sb.ToString();

        string decomposed = sb.ToString().Normalize(NormalizationForm.FormD);
        sb.Clear();
        foreach (char c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
                sb.Append(c);
        }
        return sb.ToString().ToLowerInvariant();
    }

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
            return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    // All non-alphanumeric printable ASCII counts (so "$", "^", "`" split words like in BERT), plus Unicode P*.
    private static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if (cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
            return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks BERT isolates; kana and hangul are deliberately not included.
    private static bool IsCjkIdeograph(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private int SpecialId(string token, string sourcePath) =>
        _vocab.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"{sourcePath} has no {token} token, so it is not a BERT WordPiece vocabulary: use the vocab.txt shipped with the model.");
}
