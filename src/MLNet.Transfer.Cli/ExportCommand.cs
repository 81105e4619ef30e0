using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary><c>export</c>: a fine-tuned model.zip (classifier, regressor, multi-task model or tagger) as an ONNX model.</summary>
public static class ExportCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("export", "a fine-tuned model.zip or tagger as ONNX",
        "mlnet-transfer export --model-file model.zip --output model.onnx",
        [
            CliOption.Value("model-file", "model.zip", "The model to export: a fine-tuned classifier, regressor or multi-task model (--approach finetune), or a tagger (either approach)."),
            CliOption.Value("output", "model.onnx", "The ONNX file to write."),
        ],
        [
            "Writes the fine-tuned encoder and its task head(s) as ONNX (opset 17, weights inside) for ONNX Runtime or ML.NET "
            + "ApplyOnnxModel. Inputs: int64 input_ids, attention_mask, token_type_ids [batch, sequence]; outputs: logits and "
            + "probabilities (regression: prediction), prefixed \"<task>.\" for multi-task models. The WordPiece vocabulary and "
            + "tokenizer settings are stored in the model's metadata. Only --approach finetune models export, and taggers (--task "
            + "tagging, either approach): they also take int64 word_positions [batch, words] (each word's first word piece; plus "
            + "word_shapes with --casing) and output per-word emissions, probabilities and predicted_tags (argmax, or BIO-constrained "
            + "Viterbi for a CRF head, whose scores are outputs too); the tags, head and window policy are in the metadata "
            + "(docs/sequence-labelling.md, \"ONNX export\").",
        ],
        Run);

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file"), output = args.Required("output");
        args.RejectUnused();
        var mlContext = new MLContext(1);
        var (model, info) = ModelFile.Load(mlContext, modelPath);
        if (info.Approach != "finetune" && info.Task != TaggingCommand.Task) // a tagger's features route (frozen encoder + BiLSTM) exports too
            throw new CliException($"'{modelPath}' was trained with --approach {info.Approach}; only fine-tuned models (--approach finetune) can be exported to ONNX.");
        mlContext.Model.ExportTransferModelToOnnx(model, output);
        Console.WriteLine($"Wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB).");
        return 0;
    }
}
