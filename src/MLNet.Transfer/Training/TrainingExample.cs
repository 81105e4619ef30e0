using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training;

/// <summary>
/// One tokenized text with its targets, one entry per task of the model (null = no label for that task).
/// Binary: [0 or 1]; multiclass: [class index]; regression: [value]; multi-label: one 0/1 per label.
/// </summary>
/// <param name="Tokens">Tokenized input.</param>
/// <param name="Targets">Targets by task index.</param>
public sealed record TrainingExample(EncodedText Tokens, float[]?[] Targets);
