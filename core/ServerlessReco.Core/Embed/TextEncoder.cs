using System.Numerics.Tensors;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ServerlessReco.Embed;

/// <summary>
/// A multilingual sentence encoder: a transformer exported to ONNX (<c>model.onnx</c> whose output is the
/// last hidden state) and its tokenizer file, in one folder, turned into fixed-size text embeddings.
/// </summary>
public sealed class TextEncoder : IDisposable
{
    public const string ModelFileName = "model.onnx";
    /// <summary>The setting that names the encoder folder, for the jobs (when --model is not given) and the handler's search.</summary>
    public const string DirectoryVariable = "RECO_ENCODER_DIR";
    private const string InputIdsName = "input_ids";
    private const string AttentionMaskName = "attention_mask";
    private const string TokenTypeIdsName = "token_type_ids";
    private const string PreferredOutputName = "last_hidden_state";
    private const string ExportHint = "optimum-cli export onnx --model <model id> --task feature-extraction <folder>";

    private readonly InferenceSession _session;
    private readonly IEncoderTokenizer _tokenizer;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    private TextEncoder(InferenceSession session, IEncoderTokenizer tokenizer, TextEncoderConfig config,
        string[] inputNames, string outputName, int dimension, EncoderIdentity identity)
    {
        _session = session;
        _tokenizer = tokenizer;
        Config = config;
        _inputNames = inputNames;
        _outputNames = [outputName];
        Dimension = dimension;
        Identity = identity;
    }

    public TextEncoderConfig Config { get; }

    /// <summary>Length of each embedding (the model's hidden size).</summary>
    public int Dimension { get; }

    /// <summary>What the embeddings depend on, recorded in the model manifest: vectors of different identities are never compared.</summary>
    public EncoderIdentity Identity { get; }

    /// <summary>
    /// Loads <c>model.onnx</c> and the tokenizer file from <paramref name="modelDirectory"/>. Without
    /// <paramref name="config"/>, <c>encoder.json</c> in the folder is used, and without that the family is
    /// recognised from the tokenizer file (see <see cref="TextEncoderConfig.FromDirectory"/>).
    /// </summary>
    /// <param name="threads">ONNX Runtime's intra-op threads: every core (the default) for batch jobs; one for a
    /// server embedding one short query per request, whose concurrent requests are the parallelism.</param>
    public static TextEncoder Load(string modelDirectory, TextEncoderConfig? config = null, int? threads = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        string directory = Path.GetFullPath(modelDirectory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"Encoder folder {directory} does not exist: point to a folder holding {ModelFileName} and the model's tokenizer file " +
                $"({TextEncoderConfig.WordPieceVocabFile} or {TextEncoderConfig.SentencePieceModelFile}), e.g. one written by `{ExportHint}`.");
        }
        string modelPath = Path.Combine(directory, ModelFileName);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException(
                $"{ModelFileName} not found in {directory}: export one with `{ExportHint}` (it also writes the tokenizer files), or copy the model's ONNX export there.",
                modelPath);
        }

        config ??= TextEncoderConfig.FromDirectory(directory);
        config.Validate();
        IEncoderTokenizer tokenizer = LoadTokenizer(directory, config);

        InferenceSession session;
        using (var options = new SessionOptions
               {
                   IntraOpNumThreads = threads ?? Environment.ProcessorCount,
                   GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
               })
        {
            try
            {
                session = new InferenceSession(modelPath, options);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"{modelPath} could not be loaded by ONNX Runtime ({e.Message}): re-export it with `{ExportHint}`.", e);
            }
        }

        try
        {
            string[] inputNames = CheckInputs(session, modelPath, config.Family);
            (string outputName, int hiddenSize) = CheckOutput(session, modelPath);
            return new TextEncoder(session, tokenizer, config, inputNames, outputName, hiddenSize, BuildIdentity(config, modelPath));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> (each prefixed with <see cref="TextEncoderConfig.TextPrefix"/>) and returns
    /// <c>texts.Count x Dimension</c> floats, row-major, in the order of <paramref name="texts"/>.
    /// </summary>
    /// <remarks>
    /// Safe to call from several threads at once: each call owns its buffers, the tokenizers keep no per-call
    /// state and <see cref="InferenceSession"/>.Run is thread-safe. Each Run already uses every core
    /// (intra-op threads = processor count), so concurrent calls add latency rather than throughput.
    /// Texts are grouped by token length before batching so padding stays small; results do not depend on
    /// <paramref name="batchSize"/> beyond float rounding.
    /// </remarks>
    public float[] Embed(IReadOnlyList<string> texts, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        var sequences = new int[texts.Count][];
        var order = new int[texts.Count];
        var lengths = new int[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"texts[{i}] is null.", nameof(texts));
            sequences[i] = _tokenizer.Encode(Config.TextPrefix + text, Config.MaxLength);
            order[i] = i;
            lengths[i] = sequences[i].Length;
        }
        Array.Sort(lengths, order);

        var embeddings = new float[texts.Count * Dimension];
        var batch = new List<int[]>(Math.Min(batchSize, texts.Count));
        for (int start = 0; start < order.Length; start += batchSize)
        {
            ReadOnlySpan<int> rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
            batch.Clear();
            foreach (int row in rows)
                batch.Add(sequences[row]);
            EmbedBatch(TokenBatch.Pad(batch, _tokenizer.PadId), rows, embeddings);
        }
        return embeddings;
    }

    public void Dispose() => _session.Dispose();

    private void EmbedBatch(TokenBatch batch, ReadOnlySpan<int> targetRows, float[] embeddings)
    {
        long[] shape = [batch.Rows, batch.SequenceLength];
        using OrtValue inputIds = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
        using OrtValue attentionMask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
        using OrtValue? tokenTypeIds = _inputNames.Length == 3
            ? OrtValue.CreateTensorValueFromMemory(new long[batch.InputIds.Length], shape)
            : null;
        OrtValue[] inputs = tokenTypeIds is null ? [inputIds, attentionMask] : [inputIds, attentionMask, tokenTypeIds];

        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
        OrtValue output = outputs[0];
        long[] outputShape = output.GetTensorTypeAndShape().Shape;
        if (outputShape is not [var b, var s, var h] || b != batch.Rows || s != batch.SequenceLength || h != Dimension)
        {
            throw new InvalidOperationException(
                $"{ModelFileName} returned {_outputNames[0]} of shape [{string.Join(", ", outputShape)}] for a [{batch.Rows}, {batch.SequenceLength}] batch; " +
                $"expected [{batch.Rows}, {batch.SequenceLength}, {Dimension}].");
        }

        ReadOnlySpan<float> hidden = output.GetTensorDataAsSpan<float>();
        int tokenStride = Dimension;
        int rowStride = batch.SequenceLength * Dimension;
        for (int r = 0; r < batch.Rows; r++)
        {
            Span<float> target = embeddings.AsSpan(targetRows[r] * Dimension, Dimension);
            ReadOnlySpan<float> rowHidden = hidden.Slice(r * rowStride, rowStride);
            if (Config.Pooling == PoolingMode.Cls)
            {
                rowHidden[..Dimension].CopyTo(target);
            }
            else
            {
                ReadOnlySpan<long> mask = batch.AttentionMask.AsSpan(r * batch.SequenceLength, batch.SequenceLength);
                int tokens = 0;
                for (int t = 0; t < mask.Length; t++)
                {
                    if (mask[t] == 0)
                        continue;
                    TensorPrimitives.Add(target, rowHidden.Slice(t * tokenStride, Dimension), target);
                    tokens++;
                }
                TensorPrimitives.Divide(target, tokens, target);
            }
            if (Config.Normalize)
            {
                // Same floor as torch.nn.functional.normalize, so an all-zero vector stays zero instead of NaN.
                TensorPrimitives.Divide(target, MathF.Max(TensorPrimitives.Norm(target), 1e-12f), target);
            }
        }
    }

    private static IEncoderTokenizer LoadTokenizer(string directory, TextEncoderConfig config)
    {
        string file = TextEncoderConfig.TokenizerFile(config.Family);
        string path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{file} not found in {directory}: the {FamilyName(config.Family)} family tokenizes with it. Copy it from the model's repository " +
                $"next to {ModelFileName}, or, if the model is of the other family, say so in {TextEncoderConfig.FileName} (\"family\").",
                path);
        }
        return config.Family switch
        {
            EncoderFamily.BertWordPiece => BertWordPieceTokenizer.Load(path, config.Lowercase),
            _ => XlmrSentencePieceTokenizer.Load(path),
        };
    }

    // input_ids and attention_mask are required; token_type_ids is fed as zeros when the graph declares it
    // (BERT exports do, and so do BERT-architecture models with an XLM-R tokenizer such as paraphrase-multilingual-MiniLM).
    private static string[] CheckInputs(InferenceSession session, string modelPath, EncoderFamily family)
    {
        IReadOnlyDictionary<string, NodeMetadata> inputs = session.InputMetadata;
        bool hasTokenTypes = inputs.ContainsKey(TokenTypeIdsName);
        string[] names = hasTokenTypes ? [InputIdsName, AttentionMaskName, TokenTypeIdsName] : [InputIdsName, AttentionMaskName];

        bool matches = inputs.Count == names.Length && names.All(name =>
            inputs.TryGetValue(name, out NodeMetadata? meta)
            && meta.IsTensor
            && meta.ElementDataType == TensorElementType.Int64
            && meta.Dimensions.Length == 2);
        if (!matches)
        {
            string found = string.Join(", ", inputs.Select(kv => $"{kv.Key} {Describe(kv.Value)}"));
            throw new InvalidDataException(
                $"{modelPath} does not take the inputs of a {FamilyName(family)} text encoder: it takes {found}; expected input_ids and attention_mask " +
                $"(int64 [batch, seq]) and optionally token_type_ids. Export the base transformer with `{ExportHint}`.");
        }

        int fixedLength = inputs[InputIdsName].Dimensions[1];
        if (fixedLength > 0)
        {
            throw new InvalidDataException(
                $"{modelPath} has a fixed sequence length of {fixedLength}, but batches are padded only to their longest text: " +
                $"re-export it with dynamic axes (`{ExportHint}` does that by default).");
        }
        return names;
    }

    private static (string Name, int HiddenSize) CheckOutput(InferenceSession session, string modelPath)
    {
        IReadOnlyDictionary<string, NodeMetadata> outputs = session.OutputMetadata;
        string name = outputs.ContainsKey(PreferredOutputName) ? PreferredOutputName : outputs.Keys.First();
        NodeMetadata meta = outputs[name];
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || meta.Dimensions is not [_, _, > 0])
        {
            throw new InvalidDataException(
                $"{modelPath} output {name} is {Describe(meta)}, but a text encoder must return {PreferredOutputName} as float [batch, seq, hidden] with a fixed hidden size: " +
                $"export the base model for feature extraction (`{ExportHint}`), not a pooled, quantised-output or classification head.");
        }
        return (name, meta.Dimensions[2]);
    }

    private static string Describe(NodeMetadata meta) =>
        meta.IsTensor ? $"{meta.ElementDataType} [{string.Join(", ", meta.Dimensions.Select(d => d > 0 ? d.ToString() : "?"))}]" : meta.OnnxValueType.ToString();

    private static EncoderIdentity BuildIdentity(TextEncoderConfig config, string modelPath)
    {
        string sha;
        using (FileStream stream = File.OpenRead(modelPath))
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new EncoderIdentity(FamilyName(config.Family), sha, config.Pooling == PoolingMode.Cls ? "cls" : "mean",
            config.Normalize, config.MaxLength, config.Lowercase, config.TextPrefix);
    }

    private static string FamilyName(EncoderFamily family) =>
        family == EncoderFamily.BertWordPiece ? "bert-wordpiece" : "xlmr-sentencepiece";
}
