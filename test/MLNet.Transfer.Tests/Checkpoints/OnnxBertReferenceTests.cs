using MLNet.Transfer.Checkpoints.OnnxImport;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>;
using MLNet.Transfer.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using F = TorchSharp.torch.nn.functional;

namespace MLNet.Transfer.Tests.Checkpoints;

/// <summary>
/// Proves the name mapping and transposes are right: a plain BERT forward pass over the imported
/// tensors reproduces ONNX Runtime's output of the very same ONNX bytes.
/// </summary>
[Category("Integration")]
public class OnnxBertReferenceTests
{
    private static readonly long[] HelloWorld = [101, 7592, 2088, 102]; // [CLS] hello world [SEP]

    [TestCase("minilm")]
    [TestCase("arctic-xs")]
    public void ForwardPassOverImportedWeightsMatchesOnnxRuntime(string name)
    {
        byte[] onnx = EmbeddedModelFiles.Find(name).ReadOnnx();
        var expected = RunOnnxRuntime(onnx, HelloWorld);
        var weights = OnnxBertImporter.ReadWeights(onnx);
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var hidden = BertForward(weights, HelloWorld, heads: 12, eps: 1e-12);
            float[] actual = hidden.data<float>().ToArray();

            Assert.That(actual, Has.Length.EqualTo(expected["last_hidden_state"].Length));
            double maxDiff = MaxAbsDiff(actual, expected["last_hidden_state"]);
            TestContext.Out.WriteLine($"{name}: last_hidden_state max |diff| = {maxDiff:E2} over {actual.Length} values");
            Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-4));

            if (weights.ContainsKey(BertWeightNames.PoolerWeight))
            {
                // MiniLM also outputs the pooler: tanh(dense(hidden[CLS])), exported as Gemm with transB=1.
                var pooled = F.linear(hidden[0], weights[BertWeightNames.PoolerWeight], weights[BertWeightNames.PoolerBias]).tanh();
                string poolerOutput = expected.Keys.Single(k => k != "last_hidden_state");
                double pooledDiff = MaxAbsDiff(pooled.data<float>().ToArray(), expected[poolerOutput]);
                TestContext.Out.WriteLine($"{name}: pooler output '{poolerOutput}' max |diff| = {pooledDiff:E2}");
                Assert.That(pooledDiff, Is.LessThanOrEqualTo(1e-4));
            }
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    /// <summary>Post-LN BERT (embeddings + encoder layers, exact GELU) for one unpadded sequence; returns [seq, hidden].</summary>
    private static Tensor BertForward(IReadOnlyDictionary<string, Tensor> w, long[] ids, int heads, double eps)
    {
        long seq = ids.Length;
        long hidden = w[BertWeightNames.WordEmbeddings].shape[1];
        long headSize = hidden / heads;
        Tensor LayerNorm(Tensor x, string prefix) =>
            F.layer_norm(x, [hidden], w[prefix + ".weight"], w[prefix + ".bias"], eps);
        Tensor Linear(Tensor x, string prefix) => F.linear(x, w[prefix + ".weight"], w[prefix + ".bias"]);
        Tensor SplitHeads(Tensor x) => x.view(seq, heads, headSize).transpose(0, 1); // [heads, seq, headSize]

        var x = w[BertWeightNames.WordEmbeddings].index_select(0, torch.tensor(ids))
            + w[BertWeightNames.PositionEmbeddings].index_select(0, torch.arange(seq))
            + w[BertWeightNames.TokenTypeEmbeddings].index_select(0, torch.zeros(seq, ScalarType.Int64));
        x = LayerNorm(x, "embeddings.LayerNorm");

        int layers = BertWeightDimensions.Infer(w).Layers;
        for (int i = 0; i < layers; i++)
        {
            string p = BertWeightNames.LayerPrefix(i);
            var q = SplitHeads(Linear(x, p + "attention.self.query"));
            var k = SplitHeads(Linear(x, p + "attention.self.key"));
            var v = SplitHeads(Linear(x, p + "attention.self.value"));
            var probabilities = (q.matmul(k.transpose(1, 2)) / Math.Sqrt(headSize)).softmax(-1);
            var context = probabilities.matmul(v).transpose(0, 1).reshape(seq, hidden);
            x = LayerNorm(x + Linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm");
            var intermediate = F.gelu(Linear(x, p + "intermediate.dense"));
            x = LayerNorm(x + Linear(intermediate, p + "output.dense"), p + "output.LayerNorm");
        }
        return x;
    }

    /// <summary>Runs ONNX Runtime on one sequence, printing its input/output metadata; returns every output flattened.</summary>
    private static Dictionary<string, float[]> RunOnnxRuntime(byte[] onnx, long[] ids)
    {
        using var session = new InferenceSession(onnx);
        foreach (var (key, meta) in session.InputMetadata)
            TestContext.Out.WriteLine($"input  {key}: {meta.ElementType.Name} [{Dims(meta)}]");
        foreach (var (key, meta) in session.OutputMetadata)
            TestContext.Out.WriteLine($"output {key}: {meta.ElementType.Name} [{Dims(meta)}]");

        int[] shape = [1, ids.Length];
        var inputs = session.InputMetadata.Keys.Select(key => NamedOnnxValue.CreateFromTensor(key, key switch
        {
            "input_ids" => new DenseTensor(ids, shape),
            "attention_mask" => new DenseTensor(Enumerable.Repeat(1L, ids.Length).ToArray(), shape),
            "token_type_ids" => new DenseTensor(new long[ids.Length], shape),
            _ => throw new AssertionException($"unexpected ONNX input '{key}'"),
        })).ToList();
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    private static string Dims(NodeMetadata meta) => string.Join(", ",
        meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : meta.SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"));

    private static double MaxAbsDiff(float[] a, float[] b) =>
        a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
