using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// The ML.NET columns one task head adds, and how its outputs fill them. Binary: Score (logit), Probability, PredictedLabel
/// (Boolean), see <see cref="Threshold"/>; multiclass: Score (class probabilities, slots named by class) and PredictedLabel (key whose values are the
/// class names); regression: Score; multi-label: Score (logits), Probability and PredictedLabel (Boolean) vectors with one
/// slot per label; tagging: PredictedLabel (vector of keys, one per word of <see cref="Tokens"/>, whose KeyValues are the
/// tag names) and Score (the probability of each predicted tag), as the token classifier's.
/// </summary>
/// <param name="Score">Score column name.</param>
/// <param name="Probability">Probability column name (binary, multi-label).</param>
/// <param name="PredictedLabel">Predicted label column name (classification).</param>
/// <param name="Names">Class names (multiclass) or label names (multi-label) by output index; null otherwise.</param>
public sealed record TaskColumns(string Score, string Probability, string PredictedLabel, string[]? Names)
{
    /// <summary>
    /// Binary: the decision threshold on the head's logit (0 = probability 0.5). Score is the logit minus this threshold, so
    /// Score &gt; 0, Probability &gt; 0.5 and PredictedLabel agree — also in ML.NET's evaluator, which recomputes labels
    /// from Probability. Default 0.
    /// </summary>
    public float Threshold { get; init; }

    /// <summary>Tagging: the words column (vector of text) the task tags. Null for sentence tasks.</summary>
    public string? Tokens { get; init; }

    /// <summary>ML.NET's standard names: Score, Probability, PredictedLabel.</summary>
    public static TaskColumns Standard(string[]? names) => new("Score", "Probability", "PredictedLabel", names);

    /// <summary>Names prefixed by the task, e.g. "sarcasm.Score", for models with several heads.</summary>
    public static TaskColumns ForTask(string task, string[]? names) => new($"{task}.Score", $"{task}.Probability", $"{task}.PredictedLabel", names);

    internal string[] SlotNames(TaskSpec task) => Names ?? Enumerable.Range(0, task.Outputs).Select(i => i.ToString()).ToArray();

    /// <summary>The output columns of <paramref name="task"/>, in the order <see cref="Fill"/> writes them.</summary>
    internal BatchOutputColumn[] Columns(TaskSpec task)
    {
        var single = NumberDataViewType.Single;
        switch (task.Kind)
        {
            case TaskKind.Binary:
                return [new(Score, single), new(Probability, single), new(PredictedLabel, BooleanDataViewType.Instance)];
            case TaskKind.Multiclass:
                return [new(Score, new VectorDataViewType(single, task.Outputs), NamesAnnotation("SlotNames", task)),
                        new(PredictedLabel, new KeyDataViewType(typeof(uint), task.Outputs), NamesAnnotation("KeyValues", task))];
            case TaskKind.Tagging:
                return TagSequenceColumns.OutputColumns(PredictedLabel, Score, SlotNames(task));
            case TaskKind.MultiLabel:
                return [new(Score, new VectorDataViewType(single, task.Outputs), NamesAnnotation("SlotNames", task)),
                        new(Probability, new VectorDataViewType(single, task.Outputs), NamesAnnotation("SlotNames", task)),
                        new(PredictedLabel, new VectorDataViewType(BooleanDataViewType.Instance, task.Outputs), NamesAnnotation("SlotNames", task))];
            default:
                return [new(Score, single)];
        }
    }

    /// <summary>The same columns as <see cref="SchemaShape"/> columns, for an estimator's GetOutputSchema.</summary>
    internal SchemaShape.Column[] Shapes(TaskKind kind, SchemaShape? labelAnnotations = null)
    {
        var scalar = SchemaShape.Column.VectorKind.Scalar;
        var vector = SchemaShape.Column.VectorKind.Vector;
        var slotNames = new SchemaShape([SchemaShapes.Column("SlotNames", vector, TextDataViewType.Instance, false)]);
        var single = NumberDataViewType.Single;
        return kind switch
        {
            TaskKind.Binary => [SchemaShapes.Column(Score, scalar, single, false), SchemaShapes.Column(Probability, scalar, single, false),
                                SchemaShapes.Column(PredictedLabel, scalar, BooleanDataViewType.Instance, false)],
            TaskKind.Multiclass => [SchemaShapes.Column(Score, vector, single, false, slotNames),
                                    SchemaShapes.Column(PredictedLabel, scalar, NumberDataViewType.UInt32, true, labelAnnotations)],
            TaskKind.Tagging => TagSequenceColumns.OutputShapes(PredictedLabel, Score),
            TaskKind.MultiLabel => [SchemaShapes.Column(Score, vector, single, false, slotNames), SchemaShapes.Column(Probability, vector, single, false, slotNames),
                                    SchemaShapes.Column(PredictedLabel, vector, BooleanDataViewType.Instance, false, slotNames)],
            _ => [SchemaShapes.Column(Score, scalar, single, false)],
        };
    }

    /// <summary>Writes the head outputs [row][output] of sentence task <paramref name="task"/> into the batch's columns from <paramref name="first"/> on (tagging: <see cref="TagSequenceColumns.Fill"/>).</summary>
    internal void Fill(TaskSpec task, float[][] outputs, ColumnBatch batch, int first)
    {
        switch (task.Kind)
        {
            case TaskKind.Binary:
            {
                var score = batch.Output<float>(first);
                var probability = batch.Output<float>(first + 1);
                var label = batch.Output<bool>(first + 2);
                for (int i = 0; i < outputs.Length; i++)
                {
                    score[i] = outputs[i][0] - Threshold;
                    probability[i] = HeadProbabilities.Sigmoid(score[i]);
                    label[i] = score[i] > 0;
                }
                break;
            }
            case TaskKind.Multiclass:
            {
                var score = batch.Output<VBuffer<float>>(first);
                var label = batch.Output<uint>(first + 1);
                for (int i = 0; i < outputs.Length; i++)
                {
                    var probabilities = HeadProbabilities.Softmax(outputs[i]);
                    score[i] = new VBuffer<float>(probabilities.Length, probabilities);
                    label[i] = (uint)Array.IndexOf(probabilities, probabilities.Max()) + 1;
                }
                break;
            }
            case TaskKind.MultiLabel:
            {
                var score = batch.Output<VBuffer<float>>(first);
                var probability = batch.Output<VBuffer<float>>(first + 1);
                var label = batch.Output<VBuffer<bool>>(first + 2);
                for (int i = 0; i < outputs.Length; i++)
                {
                    score[i] = new VBuffer<float>(outputs[i].Length, outputs[i]);
                    probability[i] = new VBuffer<float>(outputs[i].Length, outputs[i].Select(HeadProbabilities.Sigmoid).ToArray());
                    label[i] = new VBuffer<bool>(outputs[i].Length, outputs[i].Select(l => l > 0).ToArray());
                }
                break;
            }
            case TaskKind.Tagging:
                throw new InvalidOperationException($"Task '{task.Name}' tags words: its columns are filled from tag predictions.");
            default:
            {
                var score = batch.Output<float>(first);
                for (int i = 0; i < outputs.Length; i++) score[i] = outputs[i][0];
                break;
            }
        }
    }

    private DataViewSchema.Annotations NamesAnnotation(string kind, TaskSpec task)
    {
        var names = SlotNames(task);
        var values = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray());
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> get = (ref VBuffer<ReadOnlyMemory<char>> v) => values.CopyTo(ref v);
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(kind, new VectorDataViewType(TextDataViewType.Instance, names.Length), get);
        return builder.ToAnnotations();
    }

}
