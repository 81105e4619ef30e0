using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Tagging;

/// <summary>
/// A bidirectional LSTM over each sentence's word vectors (the BiLSTM of ELMo's and Lample et al.'s taggers): one LSTM
/// reads the words left to right, another right to left, and their states are concatenated per word. Rows are
/// right-padded; the backward LSTM reads each row's real words reversed, so padding never reaches a real word's state and
/// a sentence gets the same states whatever it is batched with.
/// </summary>
public sealed class WordBiLstm : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly LSTM forward_lstm;
    private readonly LSTM backward_lstm;
#pragma warning restore IDE1006

    /// <summary>Creates the two LSTMs, <paramref name="hiddenSize"/> wide each, over <paramref name="inputSize"/>-wide words.</summary>
    public WordBiLstm(int inputSize, int hiddenSize) : base(nameof(WordBiLstm))
    {
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "Must be at least 1.");
        forward_lstm = nn.LSTM(inputSize, hiddenSize, batchFirst: true);
        backward_lstm = nn.LSTM(inputSize, hiddenSize, batchFirst: true);
        OutputSize = 2 * hiddenSize;
        RegisterComponents();
    }

    /// <summary>Width of each word's output (both directions).</summary>
    public int OutputSize { get; }

    /// <summary>States [batch, words, 2·hidden] of <paramref name="words"/> [batch, words, input], whose rows hold <paramref name="lengths"/> [batch] real words.</summary>
    public override Tensor forward(Tensor words, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        var reverse = ReversedWithinLength(lengths, words.shape[1], words.device);
        var (ahead, _, _) = forward_lstm.call(words);
        var index = reverse.unsqueeze(2).expand(words.shape[0], words.shape[1], words.shape[2]);
        var (behind, _, _) = backward_lstm.call(words.gather(1, index));
        var back = reverse.unsqueeze(2).expand(behind.shape[0], behind.shape[1], behind.shape[2]);
        return cat([ahead, behind.gather(1, back)], 2).MoveToOuterDisposeScope();
    }

    /// <summary>Per row, positions len−1 … 0 followed by the padding positions in place: a permutation that is its own inverse.</summary>
    private static Tensor ReversedWithinLength(Tensor lengths, long width, Device device)
    {
        var n = lengths.to(CPU).data<long>().ToArray();
        var values = new long[n.Length * width];
        for (int r = 0; r < n.Length; r++)
            for (long t = 0; t < width; t++) values[r * width + t] = t < n[r] ? n[r] - 1 - t : t;
        return tensor(values, [n.Length, width], device: device);
    }
}
