using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>The part of Fit shared by the single- and multi-task estimators: encoder, heads, training, transformer.</summary>
internal static class TextFineTuning
{
    /// <summary>
    /// Loads (or copies) the encoder, adds a head per task, fine-tunes on <paramref name="train"/> and wraps the result.
    /// <paramref name="labelColumns"/> name each task's label column for error messages.
    /// </summary>
    public static FineTunedTextTransformer Fit(TextFineTuningOptions options, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns,
                                               IReadOnlyList<string> labelColumns, LabeledTexts train, LabeledTexts? valid, out FineTuneResult result)
    {
        CheckLabels(tasks, columns, labelColumns, train);
        var encoder = options.Encoder?.Clone() ?? PretrainedEncoder.Load(options.Model, options.Device);
        try
        {
            var settings = options.ToSettings().Validate(encoder.MaxTokens, tasks);
            manual_seed(settings.Seed);
            var model = new TransferModel(encoder.Model, tasks.Select((t, i) => Standardised(t, i, train)).ToArray(), settings.Pooling, settings.HeadDropout);
            result = new FineTuner(model, settings, encoder.Tokenizer.PadId)
                .Train(Examples(encoder.Tokenizer, train, options), valid is null ? null : Examples(encoder.Tokenizer, valid, options), options.Progress, options.CancellationToken);
            var input = new FineTunedTextTransformer.TextInput(options.TextColumnName, options.SecondTextColumnName, settings.MaxTokens, options.Truncation, options.PredictionWindowStride);
            return new FineTunedTextTransformer(encoder, model, input, columns, Math.Max(settings.BatchSize, 32));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Every task needs labelled rows, and a classifier at least two classes among them.</summary>
    private static void CheckLabels(IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns, IReadOnlyList<string> labelColumns, LabeledTexts train)
    {
        for (int t = 0; t < tasks.Count; t++)
        {
            var labelled = train.Targets.Select(r => r[t]).OfType<float[]>().ToArray();
            string where = tasks.Count > 1 ? $" (task '{tasks[t].Name}')" : "";
            if (labelled.Length == 0)
                throw new InvalidDataException($"Label column '{labelColumns[t]}'{where} has no labelled rows in the training data.");
            if (tasks[t].Kind is not (TaskKind.Binary or TaskKind.Multiclass)) continue;
            var classes = labelled.Select(l => l[0]).Distinct().ToArray();
            if (classes.Length >= 2) continue;
            string only = tasks[t].Kind == TaskKind.Multiclass ? columns[t].Names![(int)classes[0]] : classes[0] == 1 ? "true" : "false";
            throw new InvalidDataException($"Label column '{labelColumns[t]}'{where} has only one class in the training data ({labelled.Length} rows, all '{only}'); a classifier needs at least two.");
        }
    }

    /// <summary>Regression heads learn standardised targets: record the training mean and standard deviation.</summary>
    private static TaskSpec Standardised(TaskSpec task, int index, LabeledTexts train)
    {
        if (task.Kind != TaskKind.Regression) return task;
        var values = train.Targets.Select(r => r[index]).OfType<float[]>().Select(v => (double)v[0]).ToArray();
        double mean = values.Average();
        double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        return task with { TargetMean = mean, TargetStd = std > 1e-12 ? std : 1 };
    }

    private static List<TrainingExample> Examples(BertWordPieceTokenizer tokenizer, LabeledTexts data, TextFineTuningOptions options)
    {
        var examples = new List<TrainingExample>(data.Texts.Count);
        for (int i = 0; i < data.Texts.Count; i++)
        {
            var tokens = data.Pairs is null
                ? tokenizer.Encode(data.Texts[i], options.MaxTokens, options.Truncation)
                : tokenizer.EncodePair(data.Texts[i], data.Pairs[i], options.MaxTokens);
            examples.Add(new TrainingExample(tokens, data.Targets[i]));
        }
        return examples;
    }
}
