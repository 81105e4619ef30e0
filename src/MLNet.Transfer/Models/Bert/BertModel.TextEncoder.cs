using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

// The architecture-neutral encoder surface (TextEncoder) of BertModel, kept apart from the model itself.
public sealed partial class BertModel
{
    /// <inheritdoc/>
    public override string ModelType => "bert";

    /// <inheritdoc/>
    public override int LayerCount => Config.NumHiddenLayers;

    /// <inheritdoc/>
    public override int LayerWidth(int layer) => Config.HiddenSize;

    /// <inheritdoc/>
    public override int MaxTokens => Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public override int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public override bool LowerCase => Config.DoLowerCase;

    /// <summary>"bert", as in Hugging Face's BertForSequenceClassification and BertForTokenClassification.</summary>
    public override string TaskModelPrefix => "bert";

    /// <inheritdoc/>
    public override double InitializerRange => Config.InitializerRange;

    /// <inheritdoc/>
    public override Device Device => Embeddings.Device;

    /// <inheritdoc/>
    public override Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask) =>
        Forward(inputIds, tokenTypeIds, attentionMask, causal: false);

    /// <summary>"embeddings.*" → 0, "encoder.layer.i.*" → i + 1; anything else counts with the embeddings.</summary>
    public override int LayerOf(string parameterName)
    {
        const string layerPrefix = "encoder.layer.";
        if (!parameterName.StartsWith(layerPrefix, StringComparison.Ordinal)) return 0;
        int end = parameterName.IndexOf('.', layerPrefix.Length);
        return int.Parse(parameterName.AsSpan(layerPrefix.Length, end - layerPrefix.Length)) + 1;
    }

    /// <inheritdoc/>
    public override string ToConfigJson() => Config.ToJson();
}
