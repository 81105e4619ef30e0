using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Builds a fine-tuned network (a fresh encoder wrapped with its heads) from named weights on a device, in eval mode, with the
/// <see cref="PretrainedEncoder"/> around its encoder: how a loaded model.zip is rebuilt, and how a model is copied to
/// another device.
/// </summary>
internal static class EncoderWithHeads
{
    /// <summary>
    /// Wraps <paramref name="network"/> (fresh; owned, disposed on failure) with <paramref name="wrap"/>, loads
    /// <paramref name="weights"/> (the caller keeps them) into the whole and moves it to <paramref name="device"/>.
    /// </summary>
    public static (PretrainedEncoder Encoder, TModel Model) Assemble<TModel>(TextEncoder network, Func<TextEncoder, TModel> wrap,
        IReadOnlyDictionary<string, Tensor> weights, string name, IReadOnlyList<string> vocabulary, BertWordPieceOptions? tokenizerOptions,
        Device device, string source) where TModel : nn.Module
    {
        try
        {
            var model = wrap(network);
            StateDictLoader.Load(model, weights, source);
            model.to(device);
            model.eval();
            return (PretrainedEncoder.FromModel(name, network, vocabulary, device, tokenizerOptions), model);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A copy of <paramref name="model"/> (whose encoder is <paramref name="encoder"/>) with its own weights on
    /// <paramref name="device"/>; <paramref name="wrap"/> rebuilds the heads around a fresh encoder.
    /// </summary>
    public static (PretrainedEncoder Encoder, TModel Model) CopyTo<TModel>(PretrainedEncoder encoder, TModel model, Func<TextEncoder, TModel> wrap, Device device)
        where TModel : nn.Module =>
        Assemble(EncoderFactory.Create(encoder.Model.ToConfigJson(), encoder.Tokenizer.LowerCase, encoder.Name), wrap, model.state_dict(),
                 encoder.Name, encoder.Vocabulary, encoder.Tokenizer.Options, device, $"{encoder.Name} (copied to {device})");

    /// <summary>Whether two devices are the same (type and index).</summary>
    public static bool Same(Device a, Device b) => a.type == b.type && a.index == b.index;
}
