using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>What <see cref="LanguageModelTrainer"/> and the held-out evaluation need from a language model of any architecture.</summary>
internal interface ITrainableLanguageModel
{
    /// <summary>Everything that is trained: encoder and head.</summary>
    nn.Module Network { get; }

    /// <summary>The encoder part of <see cref="Network"/>.</summary>
    TextEncoder Encoder { get; }

    /// <summary>The encoder's key prefix inside <see cref="Network"/>, with the dot ("bert.", "encoder.").</summary>
    string EncoderPrefix { get; }

    /// <summary>The head's own parameters (trained alone by the head warm-up).</summary>
    nn.Module Head { get; }

    /// <summary>The tokenizer of the vocabulary.</summary>
    BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>What is predicted.</summary>
    LanguageModelObjective Objective { get; }

    /// <summary>Whether a head warm-up is the sensible default: a pretrained encoder under a new, random head.</summary>
    bool HeadStartsRandom { get; }

    /// <summary>Whether the weights are random (made from scratch).</summary>
    bool IsFromScratch { get; }

    /// <summary>The output layer's bias [vocab] (the softmax's, after the tied projection).</summary>
    Parameter OutputBias { get; }

    /// <summary>Logits of the predicted positions of a padded batch and their targets (labels: [batch, seq]).</summary>
    LanguageModelPredictions Predict(TokenBatch tokens, Tensor labels);
}
