using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary><c>train</c>: fine-tune, featurize or baseline → model.zip, then the validation metrics.</summary>
public static class TrainCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("train", "fine-tune (or featurize / baseline) a text classifier or regressor → model.zip",
        """
        mlnet-transfer train --task binary|multiclass|regression --train data.tsv [--valid data.tsv]
                             --label-col Label --text-col Text [--approach finetune|features|baseline]
                             [--model minilm|arctic-xs|<hf-dir>] [--epochs N] [--max-tokens N] [--seed N]
                             [--lr X] [--batch-size N] [--truncation head|tail|head+tail] [--window-stride N]
                             [--balance-classes|--no-balance-classes] [--threshold P (finetune)] [--checkpoint-dir DIR]
                             [--tokens-per-batch N] [--precision auto|fp32|bf16] [--plots DIR] [--separator C]
                             [--aux-lm-weight W] [--device cpu|cuda[:N]] [--code DIR] [--json] --output model.zip
                             [--unlabelled corpus.txt [--semi-supervised self-training|uda]
                              [--self-training-rounds N] [--pseudo-label-threshold P]]
                             [--graphs DIR [--graph-mode pretrained|random|none]]
        mlnet-transfer train --task multitask --train name=path:labelcol:binary|multiclass|regression (once per task)
                             [--train name=file.conll:tagging] [--valid name=path (per task)]
                             [--task-sampling proportional|temperature] [--text-col Text] [--unlabelled corpus.txt ...] ...
        mlnet-transfer train --task multiple-choice --train data.tsv [--valid data.tsv] --text-col Context
                             --candidate-cols A,B,... --label-col Label [--model ...] [--epochs N] [--seed N]
                             [--lr X] [--batch-size N] [--max-tokens N] [--aux-lm-weight W] [--checkpoint-dir DIR]
                             [--separator C] [--device cpu|cuda[:N]] [--json] --output model.zip
        mlnet-transfer train --task tagging --train f.conll [--valid f.conll] [--approach finetune|features]
                             [--head linear|crf] [--model minilm|arctic-xs|<hf-dir>] [--epochs N] [--seed N] [--lr X]
                             [--batch-size N] [--max-tokens N] [--casing] [--checkpoint-dir DIR] [--device cpu|cuda[:N]]
                             [--unlabelled sentences.txt [--semi-supervised self-training|uda]
                             [--self-training-rounds N] [--pseudo-label-threshold P]] [--code DIR] [--json] --output m.zip
        """,
        [
            CliOption.OneOf("task", ["binary", "multiclass", "regression", "multitask", TaggingCommand.Task, MultipleChoiceCommand.Task],
                "What to train: a binary or multiclass classifier, a regressor, one shared encoder with a head per task (multitask), "
                + "a tagger on CoNLL files (tagging), or a model that picks the right candidate for a context (multiple-choice)."),
            CliOption.Value("train", "data.tsv",
                "The training data (header row; columns named by --label-col and --text-col). multitask: name=path:labelcol:kind, once per "
                + "task (a tagging task: name=f.conll:tagging); tagging: a CoNLL file (token<TAB>tag, a blank line between sentences)."),
            CliOption.Value("valid", "data.tsv",
                "Validation data for the reported metrics (multitask: name=path, per task). Without it, 10% of --train (seeded, "
                + "stratified by label; tagging: 10% of the sentences) is held out."),
            CliOption.Value("label-col", "Label", "The label column (binary labels: 0/1 or true/false).", "Label"),
            CliOption.Value("text-col", "Text", "The text column (multiple-choice: the context).", "Text"),
            CliOption.Value("candidate-cols", "A,B,...",
                "multiple-choice: the candidate columns, at least 2; each is joined to the context and scored, and a softmax across them "
                + "gives Score; --label-col holds the right one's 0-based position in this list."),
            CliOption.OneOf("approach", ["finetune", "features", "baseline"],
                "finetune (default): fine-tune the encoder with a task head (ULMFiT/BERT recipe). features: contextual embeddings + an "
                + "ML.NET linear trainer (L-BFGS logistic regression / maximum entropy, SDCA regression); a tagger: frozen encoder, a "
                + "learned scalar mix of its layers, a BiLSTM (256 per direction) and the head (ELMo route). baseline: ML.NET "
                + "FeaturizeText + the same trainer (not for taggers)."),
            CliOption.Value("model", "minilm|arctic-xs|<hf-dir>", "The pretrained encoder (as for embed).", "minilm"),
            CliOption.Value("epochs", "N", "Passes over the training data, 1-1000.", "data-aware; tagging: 3"),
            CliOption.Value("max-tokens", "N",
                "Tokens per text, up to 512; a tagger reads sentences longer than this in overlapping windows.", "data-aware; tagging: 128"),
            CliOption.Value("seed", "N", "Seed of the held-out split, initialisation and shuffling.", "42"),
            CliOption.Value("lr", "X", "Peak learning rate.", "1e-4; tagging: the tagger's own"),
            CliOption.Value("batch-size", "N", "Texts (tagging: sentences) per step.", "data-aware"),
            CliOption.OneOf("truncation", ["head", "tail", "head+tail"], "Which tokens of a text longer than --max-tokens are kept.", "data-aware"),
            CliOption.Value("window-stride", "N", "Predict long texts in overlapping windows this many tokens apart, averaging their logits; 0 = off.", "data-aware"),
            CliOption.Flag("balance-classes", "Weight the classes of imbalanced data (default: data-aware)."),
            CliOption.Flag("no-balance-classes", "Never weight the classes."),
            CliOption.Value("threshold", "P", "finetune, binary: the decision threshold on the positive class's probability.", "data-aware"),
            CliOption.Value("checkpoint-dir", "DIR",
                "Resumable checkpoints (tagging: every epoch); a rerun with the same data and settings resumes."),
            CliOption.Value("tokens-per-batch", "N",
                "finetune: each step holds as many texts of similar length as fit in N padded tokens (at most 4 × batch size), so short "
                + "texts train in fewer, fuller steps; default 0: fixed batches."),
            CliOption.OneOf("precision", ["auto", "fp32", "bf16"],
                "finetune: bf16 = bf16 matrix products with fp32 master weights (mixed precision); fp32; default auto = bf16 where the CPU "
                + "has bf16 units (AVX512-BF16/AMX), else fp32."),
            CliOption.Value("aux-lm-weight", "W",
                "finetune, causal encoders: the OpenAI transformer's auxiliary objective, loss = task loss + W × the next-token loss of the "
                + "batch's texts; 0 turns it off. A masked (bidirectional) model with W > 0 is refused.",
                "0.5 for a causal (is_decoder) model such as one from pretrain --objective clm, 0 otherwise"),
            PlotOutput.Option,
            TsvFile.SeparatorOption,
            .. SemiSupervisedOption.Options,
            .. GraphTransferOption.Options,
            DeviceOption.Option,
            CliOption.Value("code", "DIR",
                "Also write a console project (ModelConsumer.csproj, Program.cs) that loads the model with ML.NET (RegisterTransferComponents, "
                + "Model.Load, a PredictionEngine over generated input/output classes) and prints what predict prints; every task, tagging included."),
            CliOption.Flag("json",
                "The last line is one JSON object with the validation metrics (ML.NET names) and \"Warnings\" (tagging: Precision, Recall, "
                + "F1Score and TokenAccuracy)."),
            CliOption.Value("output", "model.zip", "The model file to write (a standard ML.NET zip)."),
            CliOption.OneOf("task-sampling", ["proportional", "temperature"],
                "multitask: each batch comes from one task's data, drawn in proportion to its size, or with temperature sampling "
                + "(smaller tasks seen more often than their size alone would give).", "proportional"),
            CliOption.OneOf("head", ["linear", "crf"],
                "tagging: crf adds a CRF with BIO-constrained Viterbi decoding; the default is crf when the tags are BIO spans (B-X/I-X, "
                + "entities), linear otherwise (POS)."),
            CliOption.Flag("casing",
                "tagging: the head also sees each word's capitalisation (lower, Title, UPPER, mixed), which uncased encoders lose."),
        ],
        [
            "multitask: one shared encoder fine-tuned jointly with a head per task (e.g. sentiment + irony); each task reads its own "
            + "file; predictions come out as <name>.Score, <name>.PredictedLabel, ... A tagging task reads a CoNLL file (token<TAB>tag, "
            + "as --task tagging; head chosen as there) and is reported with entity-level Precision, Recall, F1Score and TokenAccuracy; "
            + "evaluate --test name=f.conll scores it, predict tags the whitespace-split words of each text (<name>: word/TAG ...; "
            + "--json: <name>.PredictedLabel, <name>.Score).",
            "Data-aware defaults (printed before training; any option given wins): max tokens from the texts' lengths (99th percentile, "
            + "up to 512), head+tail truncation and windowed prediction for long texts, batch 16 and at least 200 steps for small sets, "
            + "class weights and (binary) a decision threshold tuned for the minority class's F1 when the classes are imbalanced (2.5:1 "
            + "or more). features/baseline: L2 chosen by 3-fold cross-validation, the same class weights (no threshold). A model that "
            + "predicts one class (or no better than chance) on the validation data is reported with what to try.",
            "tagging: each word is labelled on its first word piece; sentences longer than --max-tokens are read in overlapping windows. "
            + "evaluate --test f.conll gives entity-level metrics; predict prints each word with its tag.",
            "multiple-choice (the OpenAI transformer's transformation): each candidate is joined to the context ([CLS] context [SEP] "
            + "candidate [SEP]) and scored by one head, with a softmax across the candidates; reported with MicroAccuracy, MacroAccuracy "
            + "and LogLoss. evaluate reads the same columns; predict takes the context and the candidates separated by tabs.",
            "Binary labels: 0/1 or true/false. The model file is a standard ML.NET zip.",
        ],
        Run);

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string task = args.Choice("task") ?? throw new CliException("Missing required option --task (binary, multiclass, regression, multitask, tagging or multiple-choice).");
        if (task == TaggingCommand.Task) return TaggingCommand.Train(args, SemiSupervisedOption.Read(args));
        if (task == MultipleChoiceCommand.Task) return MultipleChoiceCommand.Train(args);
        string labelCol = args.Optional("label-col") ?? "Label", textCol = args.Optional("text-col") ?? "Text";
        string? approachGiven = args.Choice("approach");
        string approach = approachGiven ?? "finetune";
        string model = args.Optional("model") ?? "minilm";
        string device = DeviceOption.Read(args);
        int? epochs = args.Int("epochs", 1, 1000), maxTokens = args.Int("max-tokens", 2, 512), batchSize = args.Int("batch-size", 1, 4096);
        int? windowStride = args.Int("window-stride", 0, 510), tokensPerBatch = args.Int("tokens-per-batch", 0, 1 << 20);
        string? precision = args.Choice("precision");
        int seed = args.Int("seed") ?? 42;
        double? lr = args.Double("lr", 1e-8, 1), threshold = args.Double("threshold", 1e-6, 1 - 1e-6), auxWeight = args.Double("aux-lm-weight", 0, 100);
        string? truncation = args.Choice("truncation");
        bool? balance = args.Flag("balance-classes") ? true : args.Flag("no-balance-classes") ? false : null;
        bool json = args.Flag("json");
        char separator = TsvFile.Separator(args);
        string? checkpoints = args.Optional("checkpoint-dir");
        string? plots = PlotOutput.OutputDirectory(args);
        string output = args.Required("output");
        string? code = args.Optional("code");
        var semiSupervised = SemiSupervisedOption.Read(args);
        semiSupervised?.Check(task, approach);
        if (threshold is not null && approach != "finetune")
            throw new CliException("--threshold applies to --approach finetune (features/baseline use class weights for imbalanced data).");
        if (auxWeight is not null && approach != "finetune")
            throw new CliException("--aux-lm-weight applies to --approach finetune (the auxiliary language-model loss is part of fine-tuning).");

        void Configure(TextFineTuningOptions o)
        {
            o.Model = model; o.Device = device; o.Seed = seed; o.Epochs = epochs; o.MaxTokens = maxTokens; o.BatchSize = batchSize; o.LearningRate = lr ?? 1e-4;
            o.TokensPerBatch = tokensPerBatch; o.AuxiliaryLanguageModelWeight = auxWeight;
            if (precision is not null)
                o.Precision = precision switch { "auto" => TrainingPrecision.Auto, "bf16" => TrainingPrecision.BFloat16Mixed, _ => TrainingPrecision.Float32 };
            o.BalanceClasses = balance; o.CheckpointDirectory = checkpoints; o.PredictionWindowStride = windowStride; o.DecisionThreshold = threshold;
            o.Truncation = truncation switch { null => null, "tail" => TruncationStrategy.Tail, "head+tail" => TruncationStrategy.HeadAndTail, _ => TruncationStrategy.Head };
            o.DefaultsChosen = d =>
            {
                Console.WriteLine($"Settings: {d.Summary}");
                foreach (var reason in d.Reasons) Console.WriteLine($"  {reason}");
                if (approach == "finetune")
                    Console.WriteLine(new FineTuneSettings { Precision = o.Precision }.UsesBFloat16(MLNet.Transfer.Runtime.TorchDevice.Resolve(o.Device))
                        ? "  bf16 mixed precision (fp32 master weights)" + (o.Precision == TrainingPrecision.Auto ? ": the CPU has bf16 units" : "")
                        : "  fp32" + (o.Precision == TrainingPrecision.Auto ? ": bf16 needs a CPU with bf16 units" : ""));
            };
        }

        var mlContext = new MLContext(seed);
        if (task == "multitask")
        {
            if (approach != "finetune") throw new CliException("--task multitask trains one shared encoder: use --approach finetune (the default).");
            return TrainMultiTask(args, mlContext, textCol, model, seed, o => { Configure(o); semiSupervised?.ApplyTo(o, mlContext); }, output, plots, separator, code);
        }
        string trainPath = args.Required("train");
        string? validPath = args.Optional("valid");
        var graphTransfer = GraphTransferOption.Read(args);
        if (graphTransfer is not null)
            GraphTransferOption.Check(task, [("approach", approachGiven is not null), ("threshold", threshold is not null), ("aux-lm-weight", auxWeight is not null),
                ("unlabelled", semiSupervised is not null), ("truncation", truncation is not null), ("window-stride", windowStride is not null),
                ("tokens-per-batch", tokensPerBatch is not null), ("precision", precision is not null), ("checkpoint-dir", checkpoints is not null),
                ("balance-classes", balance is not null), ("device", device != "cpu")]);
        args.RejectUnused($"--task {task}");

        var trainFile = TsvFile.Read(trainPath, separator);
        var (trainData, validData) = TrainAndValidation(mlContext, trainFile, validPath, task, labelCol, textCol, seed, separator);
        string[]? labels = task == "multiclass" ? LabeledData.Labels(trainFile, labelCol) : null;
        if (labels is { Length: < 2 }) throw new CliException($"{trainPath}: column '{labelCol}' has only one class ('{labels[0]}'); a classifier needs at least two.");

        var fineTune = new FineTuneTransformerOptions { ValidationSet = validData };
        Configure(fineTune);
        semiSupervised?.ApplyTo(fineTune, mlContext);
        if (graphTransfer is not null) approach = "graphs";
        Console.WriteLine($"Training {task} model ({approach}{(approach == "baseline" ? "" : $", {model}")}) on {trainPath}...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var history = new List<TrainingProgress>();
        ITransformer trained = graphTransfer is not null
            ? graphTransfer.Fit(mlContext, task, trainData, model, epochs, lr, batchSize, maxTokens, seed)
            : approach == "finetune"
            ? TrainingDisplay.Run(progress => { fineTune.Progress = PlotOutput.Recording(progress, history); return Pipelines.FineTune(mlContext, task, fineTune).Fit(trainData); })
            : FeatureTraining.Fit(mlContext, task, approach, model, trainData, Console.WriteLine, device);
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s.");

        var info = new ModelInfo(task, approach, labelCol, textCol, labels, approach == "baseline" ? null : model);
        ModelFile.Save(mlContext, trained, trainData.Schema, info, output);
        ConsumerCode.WriteIfRequested(code, info, output);
        var scored = trained.Transform(validData);
        Dictionary<string, double> metrics;
        ConfusionMatrix? confusion;
        string? warning;
        try
        {
            metrics = Metrics.Evaluate(mlContext, task, scored, out confusion);
            warning = confusion is null ? null : Metrics.Degenerate(confusion, PlotOutput.ClassNames(task, confusion, scored, labels));
            if (warning is not null)
                warning += $" Try: {(approach is "finetune" or "graphs" ? "more --epochs, a lower --lr, " : "--approach finetune, ")}more labelled data, or check the labels.";
        }
        catch (ArgumentOutOfRangeException e) // e.g. ML.NET: "AUC is not defined when there is no positive class in the data"
        {
            (metrics, confusion) = ([], null);
            warning = $"the validation metrics are undefined on this validation data ({e.Message.Split('\n')[0]}); the model was saved.";
        }
        Metrics.Print(metrics, json: false, title: validPath is null ? "Validation metrics (10% held out of --train):" : $"Validation metrics ({validPath}):");
        if (warning is not null)
            Console.WriteLine($"Warning: {warning}");
        Console.WriteLine($"Saved {output}");
        if (json) Metrics.PrintWithWarnings(metrics, warning);
        if (plots is not null)
        {
            PlotOutput.WriteTraining(plots, history, $"Fine-tuning {model} ({task})");
            if (confusion is not null)
                PlotOutput.WriteConfusion(plots, "confusion.png", confusion, PlotOutput.ClassNames(task, confusion, scored, labels),
                                          $"Validation confusion matrix ({task}, {approach})");
        }
        return 0;
    }

    /// <summary>The training data and the validation data: the --valid file, or a stratified 10% of the training file (seeded).</summary>
    private static (IDataView Train, IDataView Valid) TrainAndValidation(MLContext mlContext, TsvFile train, string? validPath, string task,
                                                                         string labelCol, string textCol, int seed, char separator)
    {
        if (validPath is not null)
            return (LabeledData.Load(mlContext, train, task, labelCol, textCol), LabeledData.Load(mlContext, TsvFile.Read(validPath, separator), task, labelCol, textCol));
        var (trainRows, validRows) = HoldOut.Split(train, task == "regression" ? null : train.Column(labelCol, "label-col"), seed);
        return (LabeledData.Load(mlContext, train, task, labelCol, textCol, trainRows), LabeledData.Load(mlContext, train, task, labelCol, textCol, validRows));
    }

    private static int TrainMultiTask(CliArguments args, MLContext mlContext, string textCol, string model, int seed, Action<TextFineTuningOptions> configure,
                                      string output, string? plots, char separator, string? code)
    {
        var specs = args.All("train").Select(MultiTaskData.ParseTrain).ToArray();
        if (specs.Length == 0) throw new CliException("Missing required option --train name=path:labelcol:kind (once per task).");
        if (specs.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new CliException($"Task '{twice.Key}' is given twice with --train.");
        var valid = args.All("valid").Select(v => MultiTaskData.ParseNamedPath("valid", v, specs.Select(s => s.Name).ToArray())).ToDictionary(v => v.Name, v => v.Path);
        string sampling = args.Choice("task-sampling") ?? "proportional";
        args.RejectUnused("--task multitask");

        var options = new MultiTaskFineTuneOptions { TaskSampling = sampling == "temperature" ? TaskSampling.Temperature : TaskSampling.Proportional };
        configure(options);
        var tasks = new List<TaskInfo>();
        var validation = new List<IDataView>();
        foreach (var spec in specs)
        {
            if (spec.Kind == TaggingCommand.Task)
            {
                var all = Text.Tagging.ConllReader.ReadFile(spec.Path);
                var (sentences, held) = valid.TryGetValue(spec.Name, out var validPath) ? (all, Text.Tagging.ConllReader.ReadFile(validPath)) : TaggingCommand.HoldOut(all, seed);
                var validSentences = mlContext.Data.LoadFromTaggedSentences(held);
                options.Tasks.Add(new TextTaskOptions
                {
                    Name = spec.Name, Kind = TaskKind.Tagging, LabelColumnName = "Tags", TrainingData = mlContext.Data.LoadFromTaggedSentences(sentences), ValidationData = validSentences,
                });
                tasks.Add(new TaskInfo(spec.Name, spec.Kind, "Tags", null));
                validation.Add(validSentences);
                continue;
            }
            var file = TsvFile.Read(spec.Path, separator);
            var (train, validData) = TrainAndValidation(mlContext, file, valid.GetValueOrDefault(spec.Name), spec.Kind, spec.LabelColumn, textCol, seed, separator);
            var info = new TaskInfo(spec.Name, spec.Kind, spec.LabelColumn, spec.Kind == "multiclass" ? LabeledData.Labels(file, spec.LabelColumn) : null);
            if (info.Labels is { Length: < 2 }) throw new CliException($"{spec.Path}: column '{spec.LabelColumn}' has only one class ('{info.Labels[0]}'); a classifier needs at least two.");
            options.Tasks.Add(new TextTaskOptions { Name = spec.Name, Kind = info.TaskKind, TrainingData = train, ValidationData = validData });
            tasks.Add(info);
            validation.Add(validData);
        }

        Console.WriteLine($"Training a multi-task model ({string.Join(", ", specs.Select(s => $"{s.Name}: {s.Kind}"))}; finetune, {model})...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var estimator = mlContext.Transforms.Text.FineTuneMultiTask(options);
        var first = options.Tasks[0].TrainingData!;
        var history = new List<TrainingProgress>();
        ITransformer trained = TrainingDisplay.Run(progress => { options.Progress = PlotOutput.Recording(progress, history); return estimator.Fit(first); });
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s.");
        var fineTuned = (FineTunedTextTransformer)trained;
        for (int t = 0; t < tasks.Count; t++) // the tag set is the model's (chosen from the training tags)
            if (fineTuned.Tasks[t].Tagging is { } tagger) tasks[t] = tasks[t] with { Labels = tagger.Tags };
        var confusions = new Microsoft.ML.Data.ConfusionMatrix?[tasks.Count];
        for (int t = 0; t < tasks.Count; t++)
            Metrics.Print(MultiTaskData.Evaluate(mlContext, tasks[t], validation[t], trained, out confusions[t]), json: false,
                title: $"{tasks[t].Name} validation metrics ({(valid.TryGetValue(tasks[t].Name, out var path) ? path : "10% held out of its --train")}):");
        var modelInfo = new ModelInfo("multitask", "finetune", "Label", textCol, null, model, [.. tasks]);
        ModelFile.Save(mlContext, trained, first.Schema, modelInfo, output);
        ConsumerCode.WriteIfRequested(code, modelInfo, output);
        Console.WriteLine($"Saved {output}");
        if (plots is not null)
        {
            PlotOutput.WriteTraining(plots, history, $"Multi-task fine-tuning {model} ({string.Join(", ", tasks.Select(t => t.Name))})");
            for (int t = 0; t < tasks.Count; t++)
                PlotOutput.WriteConfusion(plots, PlotOutput.ConfusionFileName(tasks[t].Name), confusions[t],
                                          tasks[t].Kind == "binary" ? PlotOutput.BinaryClassNames : tasks[t].Labels!,
                                          $"{tasks[t].Name}: validation confusion matrix");
        }
        return 0;
    }
}
