using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Settings of <see cref="GraphTransferTrainer"/>.</summary>
public sealed record GraphTransferSettings
{
    /// <summary>Passes over the labelled texts.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Texts per step.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>AdamW rate.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>Units of each LSTM direction.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary>Longest text, in word pieces including [CLS]/[SEP].</summary>
    public int MaxTokens { get; init; } = 64;
    /// <summary>Seed of the initialisation and the batch order.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Receives the mean training loss after every epoch.</summary>
    public IProgress<GraphTransferEpoch>? Progress { get; init; }

    /// <summary>Checks the ranges (a clear message naming the setting).</summary>
    public GraphTransferSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(HiddenSize, 1, nameof(HiddenSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokens, 3, nameof(MaxTokens));
        if (!(LearningRate > 0 && LearningRate <= 1)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be in (0, 1].");
        return this;
    }
}

/// <summary>One finished epoch of <see cref="GraphTransferTrainer.Train"/>.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs in all.</param>
/// <param name="MeanLoss">Mean cross-entropy over the epoch's steps.</param>
public sealed record GraphTransferEpoch(int Epoch, int Epochs, double MeanLoss);

/// <summary>
/// Trains and applies a <see cref="GraphTransferClassifier"/>: the GLoMo-style (reduced) transfer of graphs from a
/// pretrained <see cref="GlomoLanguageModel"/> (frozen: only its graphs are used) onto another model's token features,
/// or — with no graph model — the same classifier without graphs, the baseline. Texts are tokenized with the graph
/// model's tokenizer, whose ids index the static features.
/// </summary>
public static class GraphTransferTrainer
{
    /// <summary>Trains a classifier on <paramref name="texts"/> with class indices <paramref name="labels"/> (0 … classes − 1).</summary>
    /// <param name="graphModel">Supplies the graphs; null trains the model without graphs.</param>
    /// <param name="tokenizer">Tokenizer whose ids index <paramref name="staticEmbeddings"/>.</param>
    /// <param name="staticEmbeddings">Frozen token features [vocab, width].</param>
    /// <param name="texts">Labelled texts.</param>
    /// <param name="labels">Their classes.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="settings">Training settings (defaults when null).</param>
    public static GraphTransferClassifier Train(GlomoLanguageModel? graphModel, BertWordPieceTokenizer tokenizer, Tensor staticEmbeddings,
                                                IReadOnlyList<string> texts, IReadOnlyList<int> labels, int classes, GraphTransferSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(labels);
        if (texts.Count != labels.Count || texts.Count == 0) throw new ArgumentException("Give one label per text, and at least one text.", nameof(labels));
        var s = (settings ?? new GraphTransferSettings()).Validate();
        manual_seed(s.Seed);
        var model = new GraphTransferClassifier(staticEmbeddings, graphModel?.Config.GraphLayers ?? 0, s.HiddenSize, classes);
        var encoded = texts.Select(t => tokenizer.Encode(t, s.MaxTokens)).ToArray();
        using var optimizer = new ScalarSafeAdamW(model.parameters(), s.LearningRate, weightDecay: 0.01);
        var random = new Random(s.Seed);
        var order = Enumerable.Range(0, texts.Count).ToArray();
        model.train();
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            int steps = 0;
            for (int start = 0; start < order.Length; start += s.BatchSize)
            {
                using var scope = NewDisposeScope();
                var rows = order[start..Math.Min(order.Length, start + s.BatchSize)];
                using var batch = TokenBatch.Create(rows.Select(r => encoded[r]).ToArray(), tokenizer.PadId);
                var graphs = graphModel?.Graphs(batch);
                var logits = model.Logits(batch.InputIds, batch.AttentionMask, graphs);
                var target = tensor(rows.Select(r => (long)labels[r]).ToArray());
                var loss = nn.functional.cross_entropy(logits, target);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                if (s.Progress is not null) { lossSum += loss.item<float>(); steps++; }
            }
            s.Progress?.Report(new GraphTransferEpoch(epoch + 1, s.Epochs, lossSum / Math.Max(1, steps)));
        }
        model.eval();
        return model;
    }

    /// <summary>The predicted class of each text (evaluation mode, no gradients).</summary>
    public static int[] Predict(GraphTransferClassifier model, GlomoLanguageModel? graphModel, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int maxTokens = 64) =>
        Logits(model, graphModel, tokenizer, texts, maxTokens).Select(l => Array.IndexOf(l, l.Max())).ToArray();

    /// <summary>
    /// The class logits of each text [text][class] (evaluation mode, no gradients); <paramref name="graphModel"/> supplies the
    /// graphs when the model applies them.
    /// </summary>
    public static float[][] Logits(GraphTransferClassifier model, GlomoLanguageModel? graphModel, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int maxTokens = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        if (model.UsesGraphs && graphModel is null) throw new ArgumentNullException(nameof(graphModel), "This classifier applies graphs: pass the graph model.");
        using var _ = no_grad();
        var logits = new float[texts.Count][];
        const int batchSize = 64;
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var items = texts.Skip(start).Take(batchSize).Select(t => tokenizer.Encode(t, maxTokens)).ToArray();
            using var batch = TokenBatch.Create(items, tokenizer.PadId);
            var graphs = model.UsesGraphs ? graphModel!.Graphs(batch) : null;
            var values = model.Logits(batch.InputIds, batch.AttentionMask, graphs).cpu();
            int classes = (int)values.shape[1];
            var flat = values.data<float>().ToArray();
            for (int i = 0; i < items.Length; i++) logits[start + i] = flat.AsSpan(i * classes, classes).ToArray();
        }
        return logits;
    }
}
