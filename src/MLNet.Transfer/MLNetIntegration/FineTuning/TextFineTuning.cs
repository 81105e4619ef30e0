using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>The tagged sentences of each tagging task, by task index (null for sentence tasks, and for tasks without validation data).</summary>
internal sealed record TaggedData(IReadOnlyList<List<TaggedSentence>?> Train, IReadOnlyList<List<TaggedSentence>?> Valid);

/// <summary>The part of Fit shared by the single- and multi-task estimators: encoder, heads, training, transformer.</summary>
internal static class TextFineTuning
{
    /// <summary>
    /// Loads (or copies) the encoder, chooses the settings the user left open from the data (<paramref name="defaults"/>),
    /// adds a head per task, fine-tunes on <paramref name="train"/>, tunes binary decision thresholds on
    /// <paramref name="valid"/> where asked, and wraps the result. <paramref name="labelColumns"/> name each task's label
    /// column for error messages. Tagging tasks learn from <paramref name="tagged"/>: sentence windows of MaxTokens tokens,
    /// which also count in the data-aware MaxTokens. With <paramref name="unlabelled"/> texts, training is semi-supervised
    /// (<see cref="SemiSupervisedFineTuner"/>); tagging tasks read them split at white space (<see cref="UnlabelledSentences"/>).
    /// </summary>
    public static FineTunedTextTransformer Fit(TextFineTuningOptions options, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns,
                                               IReadOnlyList<string> labelColumns, LabeledTexts train, LabeledTexts? valid,
                                               out FineTuneResult result, out DataAwareDefaults defaults, TaggedData? tagged = null,
                                               UnlabeledTexts? unlabelled = null)
    {
        CheckLabels(tasks, columns, labelColumns, train);
        var encoder = options.Encoder?.Clone() ?? PretrainedEncoder.Load(options.Model, options.Device);
        try
        {
            var profile = Profile(encoder.Tokenizer, tasks, train, tagged);
            int? validCount = valid is null && tagged?.Valid.All(v => v is null) != false ? null
                : (valid?.Texts.Count ?? 0) + (tagged?.Valid.Sum(v => v?.Count ?? 0) ?? 0);
            var settings = Settings(options, encoder, profile, tasks, validCount, out defaults);
            var model = new TransferModel(encoder.Model, tasks.Select((t, i) => Standardised(t, i, train)).ToArray(), settings.Pooling, settings.HeadDropout);
            var trainExamples = Examples(encoder.Tokenizer, train, defaults, options.SymmetricPairs).Concat(TaggedExamples(encoder.Tokenizer, tasks, tagged?.Train, defaults)).ToList();
            var validExamples = (valid is null ? [] : Examples(encoder.Tokenizer, valid, defaults, options.SymmetricPairs)).Concat(TaggedExamples(encoder.Tokenizer, tasks, tagged?.Valid, defaults)).ToList();
            var validation = validExamples.Count == 0 ? null : validExamples;
            var (maxTokens, truncation) = (defaults.MaxTokens, defaults.Truncation);
            // GPT-1's auxiliary objective: the causal encoder's own language-model head, used in training only.
            using var languageModel = settings.AuxiliaryLanguageModelWeight > 0 && NextTokenLoss.AppliesTo(encoder.Model)
                ? TransformerLanguageModel.ForAuxiliaryObjective(encoder, settings.Seed) : null;
            result = unlabelled is null
                ? new FineTuner(model, settings, encoder.Tokenizer.PadId) { LanguageModelHead = languageModel?.Module.Head }
                    .Train(trainExamples, validation, options.Progress, options.CancellationToken)
                : new SemiSupervisedFineTuner(model, settings, unlabelled.Settings, encoder.Tokenizer.PadId)
                {
                    LanguageModelHead = languageModel?.Module.Head,
                    Sentences = tasks.Any(t => t.Kind == TaskKind.Tagging) ? UnlabelledSentences.SplitAtWhiteSpace(unlabelled.Texts, encoder.Tokenizer) : null,
                }
                    .Train(trainExamples, validation, [.. unlabelled.Texts.Select(t => encoder.Tokenizer.Encode(t, maxTokens, truncation))],
                           options.Progress, unlabelled.Rounds, options.CancellationToken);
            var input = new FineTunedTextTransformer.TextInput(options.TextColumnName, options.SecondTextColumnName, settings.MaxTokens, defaults.Truncation,
                                                               options.SecondTextColumnName is null ? defaults.PredictionWindowStride : 0)
            {
                SymmetricPairs = options.SymmetricPairs,
            };
            var transformer = new FineTunedTextTransformer(encoder, model, input, columns, Math.Max(settings.BatchSize, 32), options.InferenceEngine);
            return WithThresholds(transformer, options, defaults, train, valid);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The data-aware choices (<paramref name="defaults"/>, reported to <see cref="TextFineTuningOptions.DefaultsChosen"/>) and
    /// the validated training settings, with the auxiliary language-model weight for <paramref name="encoder"/>; seeds LibTorch.
    /// <paramref name="request"/> replaces the options' own explicit choices (<see cref="TextFineTuningOptions.Request"/>).
    /// </summary>
    internal static FineTuneSettings Settings(TextFineTuningOptions options, PretrainedEncoder encoder, DataProfile profile, IReadOnlyList<TaskSpec> tasks,
                                              int? validCount, out DataAwareDefaults defaults, TrainingRequest? request = null)
    {
        defaults = TrainingDefaults.Resolve(profile, encoder.MaxTokens, request ?? options.Request(), tasks.Any(t => t.Kind == TaskKind.Binary), validCount);
        TextFineTuningOptions.CheckWindowStride(defaults);
        if (options.AuxiliaryLanguageModelWeight is null && NextTokenLoss.AppliesTo(encoder.Model))
            defaults = defaults with
            {
                Reasons = [.. defaults.Reasons, $"auxiliary language-model loss weight {TextFineTuningOptions.DefaultAuxiliaryLanguageModelWeight} (causal encoder: the OpenAI transformer's recipe; 0 turns it off)"],
            };
        options.DefaultsChosen?.Invoke(defaults);
        var settings = (options.ToSettings(defaults) with { AuxiliaryLanguageModelWeight = options.AuxiliaryWeightFor(encoder.Model) }).Validate(encoder.MaxTokens, tasks);
        manual_seed(settings.Seed);
        return settings;
    }

    /// <summary>The windows of each tagging task's sentences as training examples labelled for that task only.</summary>
    private static IEnumerable<TrainingExample> TaggedExamples(BertWordPieceTokenizer tokenizer, IReadOnlyList<TaskSpec> tasks,
                                                               IReadOnlyList<List<TaggedSentence>?>? sentences, DataAwareDefaults defaults)
    {
        if (sentences is null) return [];
        return tasks.SelectMany((task, t) => sentences[t] is { } s
            ? TrainingExample.FromTaggedWindows(TaggedWindow.From(tokenizer, s, task.Tagging!.Tags, defaults.MaxTokens), t, tasks.Count)
            : []);
    }

    /// <summary>
    /// Word-piece lengths of the training texts (and tagged sentences, with [CLS] and [SEP]) and the class counts of the most
    /// imbalanced classification task.
    /// </summary>
    private static DataProfile Profile(BertWordPieceTokenizer tokenizer, IReadOnlyList<TaskSpec> tasks, LabeledTexts train, TaggedData? tagged)
    {
        var sentences = tagged?.Train.OfType<List<TaggedSentence>>().SelectMany(s => s).ToArray() ?? [];
        var lengths = new int[train.Texts.Count + sentences.Length];
        for (int i = 0; i < train.Texts.Count; i++)
            lengths[i] = tokenizer.EncodeWordPieces(train.Texts[i]).Length + 2 + (train.Pairs is null ? 0 : tokenizer.EncodeWordPieces(train.Pairs[i]).Length + 1);
        for (int i = 0; i < sentences.Length; i++)
            lengths[train.Texts.Count + i] = sentences[i].Tokens.Sum(w => Math.Max(1, tokenizer.EncodeWordPieces(w).Length)) + 2;
        int[]? counts = null;
        for (int t = 0; t < tasks.Count; t++)
        {
            if (tasks[t].Kind is not (TaskKind.Binary or TaskKind.Multiclass)) continue;
            var c = ClassCounts(tasks[t], t, train);
            if (counts is null || DataProfile.Imbalance(c) > DataProfile.Imbalance(counts)) counts = c;
        }
        return DataProfile.From(lengths, counts);
    }

    private static int[] ClassCounts(TaskSpec task, int index, LabeledTexts data)
    {
        var counts = new int[task.Kind == TaskKind.Binary ? 2 : task.Outputs];
        foreach (var targets in data.Targets)
            if (targets[index] is { } t) counts[task.Kind == TaskKind.Binary ? (t[0] > 0.5f ? 1 : 0) : (int)t[0]]++;
        return counts;
    }

    /// <summary>
    /// Binary tasks' decision thresholds: the user's probability, or (when tuning) the logit cut that maximises the
    /// minority class's F1 on the validation rows labelled for the task, through the same prediction path as Transform.
    /// </summary>
    private static FineTunedTextTransformer WithThresholds(FineTunedTextTransformer transformer, TextFineTuningOptions options, DataAwareDefaults defaults,
                                                           LabeledTexts train, LabeledTexts? valid)
    {
        var tasks = transformer.Tasks;
        if (!tasks.Any(t => t.Kind == TaskKind.Binary)) return transformer;
        if (options.DecisionThreshold is { } p)
            return transformer.WithColumns(transformer.TaskOutputs.Select((c, t) => tasks[t].Kind == TaskKind.Binary ? c with { Threshold = (float)Math.Log(p / (1 - p)) } : c).ToArray());
        if (!defaults.TuneThreshold || valid is null) return transformer;
        var outputs = transformer.Predict(valid.Texts, valid.Pairs);
        var columns = transformer.TaskOutputs.ToArray();
        for (int t = 0; t < tasks.Count; t++)
        {
            if (tasks[t].Kind != TaskKind.Binary) continue;
            var rows = Enumerable.Range(0, valid.Texts.Count).Where(i => valid.Targets[i][t] is not null).ToArray();
            var counts = ClassCounts(tasks[t], t, train);
            columns[t] = columns[t] with
            {
                Threshold = DecisionThreshold.MaximizeF1(rows.Select(i => outputs[t][i][0]).ToArray(), rows.Select(i => valid.Targets[i][t]![0] > 0.5f).ToArray(),
                                                         positiveIsTarget: counts[1] <= counts[0]),
            };
        }
        return transformer.WithColumns(columns);
    }

    /// <summary>Every task needs labelled rows, and a classifier at least two classes among them.</summary>
    private static void CheckLabels(IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns, IReadOnlyList<string> labelColumns, LabeledTexts train)
    {
        for (int t = 0; t < tasks.Count; t++)
        {
            if (tasks[t].Kind == TaskKind.Tagging) continue; // its sentences and tag set are checked as they are read
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

    /// <summary>The labelled texts tokenized; with <paramref name="symmetric"/> each pair also in the other order (<see cref="TrainingExample.Reversed"/>).</summary>
    private static List<TrainingExample> Examples(BertWordPieceTokenizer tokenizer, LabeledTexts data, DataAwareDefaults defaults, bool symmetric)
    {
        var examples = new List<TrainingExample>(data.Texts.Count);
        for (int i = 0; i < data.Texts.Count; i++)
        {
            var tokens = data.Pairs is null
                ? tokenizer.Encode(data.Texts[i], defaults.MaxTokens, defaults.Truncation)
                : tokenizer.EncodePair(data.Texts[i], data.Pairs[i], defaults.MaxTokens);
            var reversed = symmetric && data.Pairs is not null ? tokenizer.EncodePair(data.Pairs[i], data.Texts[i], defaults.MaxTokens) : (EncodedText?)null;
            examples.Add(new TrainingExample(tokens, data.Targets[i]) { Reversed = reversed });
        }
        return examples;
    }
}
