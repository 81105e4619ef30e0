using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>Tiny random encoders with a word-level vocabulary, padded token batches, and running an exported model in ONNX Runtime.</summary>
internal static class OnnxTestModels
{
    private static readonly string[] Words =
    [
        "the", "a", "movie", "film", "was", "is", "great", "awful", "not", "very", "plot", "acting", "and", "but", "i", "loved",
        "hated", "it", "phone", "battery", "food", "cold", "warm", "service", "slow", "fast", "##s", "##ing", "##ly", "good",
    ];

    /// <summary>[PAD] [UNK] [CLS] [SEP] [MASK] then <see cref="Words"/>.</summary>
    public static string[] Vocabulary { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words];

    /// <summary>Texts of different lengths (1 to 19 word pieces, one unknown word, one empty) for padded batches.</summary>
    public static string[] Texts { get; } =
    [
        "the movie was great", "", "awful", "i loved the acting and the plot but the film was very very slow and not good at all",
        "phone battery is not good", "the food was cold but the service was fast", "hated it", "warm warmly good goods",
        "unknownword film", "a",
    ];

    /// <summary>A tiny encoder (hidden 32, 2 blocks, 4 heads) whose weights are all perturbed so every term matters.</summary>
    public static BertModel TinyBert(int seed, string activation = "gelu")
    {
        torch.manual_seed(seed);
        var config = TestModels.TinyConfig(Vocabulary.Length) with { HiddenAct = activation, MaxPositionEmbeddings = 64 };
        var bert = new BertModel(config);
        Perturb(bert);
        bert.eval();
        return bert;
    }

    /// <summary>A tiny <see cref="PretrainedEncoder"/> (owns its model) with <see cref="Vocabulary"/>.</summary>
    public static PretrainedEncoder TinyEncoder(int seed) => PretrainedEncoder.FromModel("tiny", TinyBert(seed), Vocabulary, CPU);

    /// <summary>Adds N(0, 0.1) noise to every parameter (biases and LayerNorms included), without autograd.</summary>
    public static void Perturb(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var parameter in module.parameters())
        {
            using var noise = randn_like(parameter) * 0.1;
            parameter.add_(noise);
        }
    }

    /// <summary>Token ids, mask and segment ids of <paramref name="items"/>, right-padded to the longest, row-major.</summary>
    public sealed record Batch(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, int Rows, int Length);

    /// <summary>Pads <paramref name="items"/> to one batch with <paramref name="padId"/>.</summary>
    public static Batch Pad(IReadOnlyList<EncodedText> items, int padId)
    {
        int length = items.Max(i => i.Length);
        var ids = new long[items.Count * length];
        var mask = new long[ids.Length];
        var types = new long[ids.Length];
        Array.Fill(ids, padId);
        for (int r = 0; r < items.Count; r++)
            for (int t = 0; t < items[r].Length; t++)
            {
                ids[r * length + t] = items[r].InputIds[t];
                types[r * length + t] = items[r].TokenTypeIds[t];
                mask[r * length + t] = 1;
            }
        return new Batch(ids, mask, types, items.Count, length);
    }

    /// <summary>Runs <paramref name="onnx"/> on <paramref name="batch"/>; returns every output as flat values with its shape.</summary>
    public static Dictionary<string, (float[] Values, int[] Shape)> Run(byte[] onnx, Batch batch)
    {
        using var session = new InferenceSession(onnx);
        return Run(session, batch);
    }

    /// <inheritdoc cref="Run(byte[], Batch)"/>
    public static Dictionary<string, (float[] Values, int[] Shape)> Run(InferenceSession session, Batch batch)
    {
        var dims = new[] { batch.Rows, batch.Length };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, dims)),
        };
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r =>
        {
            var tensor = r.AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        });
    }

    /// <summary>Row <paramref name="row"/> of a [rows, width] output.</summary>
    public static float[] Row((float[] Values, int[] Shape) output, int row)
    {
        int width = output.Shape[1];
        return output.Values.AsSpan(row * width, width).ToArray();
    }

    /// <summary>max |a − b| over rows of equal shape.</summary>
    public static double MaxAbsDiff(IEnumerable<float[]> expected, IEnumerable<float[]> actual) =>
        expected.Zip(actual, (e, a) =>
        {
            Assert.That(a, Has.Length.EqualTo(e.Length));
            return e.Zip(a).Max(p => Math.Abs((double)p.First - p.Second));
        }).Max();

    /// <summary>Serialises with <paramref name="write"/> into a byte array.</summary>
    public static byte[] Bytes(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}
