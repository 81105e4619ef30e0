using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary>A learnable synthetic task on a tiny random encoder: label = whether token 7 occurs.</summary>
internal static class TinyTask
{
    public const int Vocab = 40;

    public static TransferModel NewModel(int seed = 1, TaskKind kind = TaskKind.Binary, int outputs = 1)
    {
        manual_seed(seed);
        var encoder = new BertModel(TestModels.TinyConfig(Vocab) with { HiddenDropoutProb = 0.1 });
        return new TransferModel(encoder, [new TaskSpec("task", kind, outputs)], PoolingMode.Mean, 0.1);
    }

    public static List<TrainingExample> Examples(int count, int seed)
    {
        var random = new Random(seed);
        var result = new List<TrainingExample>();
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(3, 12);
            var ids = new int[length + 2];
            ids[0] = 2; ids[^1] = 3;
            bool positive = i % 2 == 0;
            for (int t = 1; t <= length; t++) ids[t] = random.Next(8, Vocab);
            if (positive) ids[random.Next(1, length + 1)] = 7;
            result.Add(new TrainingExample(new EncodedText(ids, new int[ids.Length]), [[positive ? 1f : 0f]]));
        }
        return result;
    }

    public static float[] Weights(nn.Module model) =>
        model.parameters().SelectMany(p => p.detach().cpu().contiguous().data<float>().ToArray()).ToArray();
}
