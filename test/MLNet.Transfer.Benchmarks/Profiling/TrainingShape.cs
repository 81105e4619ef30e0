using MLNet.Transfer.Models;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>The sizes of one fine-tuning step of a BERT encoder: <see cref="Batch"/> texts of <see cref="Sequence"/> tokens.</summary>
internal sealed record TrainingShape(int Batch, int Sequence, BertConfig Config)
{
    /// <summary>Token rows of every dense layer's input (batch × sequence).</summary>
    public long Rows => (long)Batch * Sequence;

    /// <summary>Matrices of each attention batched matmul (batch × heads).</summary>
    public long HeadBatches => (long)Batch * Config.NumAttentionHeads;

    public int Hidden => Config.HiddenSize;
    public int Intermediate => Config.IntermediateSize;
    public int Heads => Config.NumAttentionHeads;
    public int HeadSize => Config.HeadSize;
    public int Layers => Config.NumHiddenLayers;

    /// <summary>"[32×64, 384]"-style label of a [rows, width] activation.</summary>
    public string RowsBy(long width) => $"{Batch}·{Sequence}×{width}";

    /// <summary>Label of an attention-probability tensor [batch·heads, seq, seq].</summary>
    public string Scores => $"{HeadBatches}×{Sequence}×{Sequence}";
}
