using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace ServerlessReco.Embed;

/// <summary>
/// XLM-R tokenization: SentencePiece unigram segmentation (Microsoft.ML.Tokenizers) with the fairseq id layout
/// of XLM-R checkpoints, <c>&lt;s&gt; pieces &lt;/s&gt;</c>.
/// </summary>
/// <remarks>
/// Two corrections make Microsoft.ML.Tokenizers 2.0.1 agree with SentencePiece itself:
/// <list type="bullet">
/// <item>SentencePiece fuses a run of unknown characters into one unknown piece; the library emits one per
/// character. Its output is a single Viterbi segmentation of the whole normalised text (no special tokens are
/// matched inside the text), so two adjacent unknown ids are exactly a run SentencePiece would have fused.
/// Fusing happens before truncation, as in SentencePiece.</item>
/// <item>The nmt_nfkc rules in the model's precompiled charsmap delete C0/C1 control characters; the library
/// applies the charsmap's replacements but not its deletions, and would keep each one as an unknown piece.</item>
/// </list>
/// Literal "&lt;s&gt;" or "&lt;unk&gt;" in the text is tokenized as text, as SentencePiece does.
/// </remarks>
internal sealed class XlmrSentencePieceTokenizer : IEncoderTokenizer
{
    // fairseq's dictionary puts <s>, <pad>, </s>, <unk> first and every other SentencePiece id one higher.
    private const int BosId = 0;
    private const int FairseqPadId = 1;
    private const int EosId = 2;
    private const int UnkId = 3;
    private const int FairseqOffset = 1;

    // The characters nmt_nfkc maps to nothing (checked against the fixture model's precompiled charsmap).
    private static readonly SearchValues<char> DeletedControls = SearchValues.Create(
        "\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017" +
        "\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F\u008F\u009F");

    private readonly SentencePieceTokenizer _sentencePiece;

    private XlmrSentencePieceTokenizer(SentencePieceTokenizer sentencePiece) => _sentencePiece = sentencePiece;

    public int PadId => FairseqPadId;

    public static XlmrSentencePieceTokenizer Load(string modelPath)
    {
        SentencePieceTokenizer sentencePiece;
        using (FileStream stream = File.OpenRead(modelPath))
        {
            try
            {
                sentencePiece = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
            }
            catch (Exception e) when (e is not IOException)
            {
                throw new InvalidDataException($"{modelPath} could not be read as a SentencePiece model ({e.Message}): use the sentencepiece.bpe.model shipped with the XLM-R based model.", e);
            }
        }
        // The fairseq mapping below is only right for the XLM-R layout <unk>=0, <s>=1, </s>=2.
        if (sentencePiece.UnknownId != 0 || sentencePiece.BeginningOfSentenceId != 1 || sentencePiece.EndOfSentenceId != 2)
        {
            throw new InvalidDataException(
                $"{modelPath} is not an XLM-R SentencePiece model: it has <unk>={sentencePiece.UnknownId}, <s>={sentencePiece.BeginningOfSentenceId}, " +
                $"</s>={sentencePiece.EndOfSentenceId} where XLM-R has 0, 1, 2. Use the model's own tokenizer file, or a model of the xlmr-sentencepiece family.");
        }
        return new XlmrSentencePieceTokenizer(sentencePiece);
    }

    public int[] Encode(string text, int maxLength)
    {
        IReadOnlyList<int> pieces = _sentencePiece.EncodeToIds(
            RemoveDeletedControls(text), addBeginningOfSentence: false, addEndOfSentence: false);
        int contentEnd = maxLength - 1;
        var ids = new List<int>(Math.Min(pieces.Count + 2, maxLength)) { BosId };
        bool previousWasUnknown = false;
        foreach (int piece in pieces)
        {
            bool isUnknown = piece == _sentencePiece.UnknownId;
            if (isUnknown && previousWasUnknown)
                continue;
            if (ids.Count == contentEnd)
                break;
            ids.Add(isUnknown ? UnkId : piece + FairseqOffset);
            previousWasUnknown = isUnknown;
        }
        ids.Add(EosId);
        return ids.ToArray();
    }

    private static string RemoveDeletedControls(string text)
    {
        if (!text.AsSpan().ContainsAny(DeletedControls))
            return text;
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (!DeletedControls.Contains(c))
                sb.Append(c);
        }
        return sb.ToString();
    }
}
