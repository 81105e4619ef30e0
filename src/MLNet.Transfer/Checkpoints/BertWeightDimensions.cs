using TorchSharp;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// The architecture numbers that can be read off a BERT state dict's tensor shapes. The number of
/// attention heads, the LayerNorm epsilon and the activation cannot be inferred from weights (the
/// embedded MiniLM and Arctic-xs models use 12 heads, eps 1e-12 and exact GELU).
/// </summary>
/// <param name="Layers">Number of encoder layers.</param>
/// <param name="Hidden">Hidden size.</param>
/// <param name="Intermediate">Feed-forward (intermediate) size.</param>
/// <param name="VocabSize">Word embedding rows.</param>
/// <param name="MaxPositions">Position embedding rows.</param>
/// <param name="TypeVocabSize">Token type embedding rows.</param>
/// <param name="HasPooler">Whether pooler.dense.weight/bias are present.</param>
public sealed record BertWeightDimensions(
    int Layers, int Hidden, int Intermediate, int VocabSize, int MaxPositions, int TypeVocabSize, bool HasPooler)
{
    /// <summary>
    /// Infers the dimensions from Hugging Face BertModel-named weights (see <see cref="BertWeightNames"/>)
    /// and checks that every expected tensor is present with the shape they imply.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape; the message names it.</exception>
    public static BertWeightDimensions Infer(IReadOnlyDictionary<string, torch.Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Infer(weights.ToDictionary(w => w.Key, w => w.Value.shape));
    }

    /// <summary>
    /// <see cref="Infer(IReadOnlyDictionary{string, torch.Tensor})"/> from the tensors' shapes alone (no TorchSharp: e.g.
    /// weights still in an ONNX or safetensors file).
    /// </summary>
    /// <param name="weights">Each weight's shape, by Hugging Face BertModel name.</param>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape; the message names it.</exception>
    internal static BertWeightDimensions Infer(IReadOnlyDictionary<string, long[]> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        long[] word = Shape(weights, BertWeightNames.WordEmbeddings, rank: 2);
        long vocab = word[0], hidden = word[1];
        long positions = Shape(weights, BertWeightNames.PositionEmbeddings, rank: 2)[0];
        long types = Shape(weights, BertWeightNames.TokenTypeEmbeddings, rank: 2)[0];

        int layers = weights.Keys.Select(BertWeightNames.LayerIndexOf).DefaultIfEmpty(-1).Max() + 1;
        if (layers == 0)
            throw new InvalidDataException($"No encoder layers found: expected tensors named '{BertWeightNames.LayerPrefix(0)}*'.");
        long intermediate = Shape(weights, BertWeightNames.LayerPrefix(0) + "intermediate.dense.weight", rank: 2)[0];

        var expected = new List<(string Name, long[] Shape)>
        {
            (BertWeightNames.WordEmbeddings, [vocab, hidden]),
            (BertWeightNames.PositionEmbeddings, [positions, hidden]),
            (BertWeightNames.TokenTypeEmbeddings, [types, hidden]),
            (BertWeightNames.EmbeddingsLayerNormWeight, [hidden]),
            (BertWeightNames.EmbeddingsLayerNormBias, [hidden]),
        };
        for (int i = 0; i < layers; i++)
        {
            foreach (string suffix in BertWeightNames.LayerSuffixes)
            {
                long[] shape = suffix switch
                {
                    "intermediate.dense.weight" => [intermediate, hidden],
                    "intermediate.dense.bias" => [intermediate],
                    "output.dense.weight" => [hidden, intermediate],
                    _ when suffix.EndsWith("LayerNorm.weight", StringComparison.Ordinal) => [hidden],
                    _ when suffix.EndsWith(".weight", StringComparison.Ordinal) => [hidden, hidden],
                    _ => [hidden],
                };
                expected.Add((BertWeightNames.LayerPrefix(i) + suffix, shape));
            }
        }
        bool hasPooler = weights.ContainsKey(BertWeightNames.PoolerWeight) || weights.ContainsKey(BertWeightNames.PoolerBias);
        if (hasPooler)
        {
            expected.Add((BertWeightNames.PoolerWeight, [hidden, hidden]));
            expected.Add((BertWeightNames.PoolerBias, [hidden]));
        }

        foreach (var (name, shape) in expected)
        {
            long[] actual = Shape(weights, name, shape.Length);
            if (!actual.AsSpan().SequenceEqual(shape))
                throw new InvalidDataException(
                    $"BERT weight '{name}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", shape)}].");
        }
        return new BertWeightDimensions(layers, (int)hidden, (int)intermediate, (int)vocab, (int)positions, (int)types, hasPooler);
    }

    private static long[] Shape(IReadOnlyDictionary<string, long[]> weights, string name, int rank)
    {
        if (!weights.TryGetValue(name, out var shape))
            throw new InvalidDataException($"BERT weight '{name}' is missing.");
        if (shape.Length != rank)
            throw new InvalidDataException($"BERT weight '{name}' has shape [{string.Join(", ", shape)}], expected rank {rank}.");
        return shape;
    }
}
