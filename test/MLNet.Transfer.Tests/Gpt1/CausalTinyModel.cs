using MLNet.Transfer.Models.Bert;

namespace MLNet.Transfer.Tests.Gpt1;

/// <summary>A tiny random causal (is_decoder) BERT with the real WordPiece vocabulary, written as a Hugging Face directory.</summary>
internal static class CausalTinyModel
{
    /// <summary>Writes the model under <paramref name="root"/> and returns its directory.</summary>
    public static string Directory(string root)
    {
        string dir = Path.Combine(root, "tiny-causal");
        var config = TestModels.TinyConfig() with { IsDecoder = true };
        TorchSharp.torch.manual_seed(11);
        using var bert = new BertModel(config);
        MLNet.Transfer.Checkpoints.HuggingFaceDirectory.Write(dir, config, bert.state_dict(), TestModels.MiniLm.Vocabulary);
        return dir;
    }
}
