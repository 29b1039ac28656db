namespace ServerlessReco.Embed;

/// <summary>One encoder family's text-to-ids step, shaped like the Hugging Face reference of that family.</summary>
internal interface IEncoderTokenizer
{
    /// <summary>Id the model expects in padded positions.</summary>
    int PadId { get; }

    /// <summary>
    /// Ids of <paramref name="text"/> wrapped in the family's start and end tokens, the content truncated
    /// so that the whole sequence has at most <paramref name="maxLength"/> ids.
    /// </summary>
    int[] Encode(string text, int maxLength);
}
