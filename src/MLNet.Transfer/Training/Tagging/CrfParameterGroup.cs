using TorchSharp;

namespace MLNet.Transfer.Training.Tagging;

/// <summary>
/// The CRF's transition scores train in a group of their own at their own learning rate: they start near 0 and need to
/// move far in few steps, which the encoder's rate (≈1e-4) never lets them do.
/// </summary>
public static class CrfParameterGroup
{
    /// <summary>
    /// <paramref name="groups"/> without the parameters of any CRF in <paramref name="model"/> ("crf.*", or "….crf.*" in a
    /// head of a multi-task model), plus one depth-0 group holding them all at <paramref name="learningRate"/> without weight
    /// decay. Unchanged when the model has no CRF.
    /// </summary>
    public static List<ParameterGroup> Separate(IEnumerable<ParameterGroup> groups, torch.nn.Module model, double learningRate)
    {
        var result = new List<ParameterGroup>();
        foreach (var g in groups)
        {
            var keep = g.Names.Select((n, i) => (n, i)).Where(p => !IsCrf(p.n)).ToArray();
            if (keep.Length == 0) continue;
            result.Add(keep.Length == g.Names.Count ? g : g with { Names = keep.Select(p => p.n).ToArray(), Parameters = keep.Select(p => g.Parameters[p.i]).ToArray() });
        }
        var crf = model.named_parameters().Where(p => IsCrf(p.name)).ToArray();
        if (crf.Length > 0) result.Add(new ParameterGroup(0, learningRate, 0, crf.Select(p => p.name).ToArray(), crf.Select(p => p.parameter).ToArray()));
        return result;
    }

    private static bool IsCrf(string name) => name.StartsWith("crf.", StringComparison.Ordinal) || name.Contains(".crf.", StringComparison.Ordinal);
}
