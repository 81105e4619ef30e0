using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using MLNet.Transfer.Checkpoints;

namespace MLNet.Transfer.Cli;

/// <summary>What the CLI needs to know about a saved model besides the ML.NET pipeline.</summary>
/// <param name="Task">binary, multiclass, regression or multitask.</param>
/// <param name="Approach">finetune, features, baseline or graphs (train --graphs).</param>
/// <param name="LabelColumn">TSV label column used in training.</param>
/// <param name="TextColumn">TSV text column used in training.</param>
/// <param name="Labels">Class names seen in training (multiclass).</param>
/// <param name="Model">Encoder the model was built from.</param>
/// <param name="Tasks">The tasks of a multi-task model (Task = "multitask"), else null.</param>
public sealed record ModelInfo(string Task, string Approach, string LabelColumn, string TextColumn, string[]? Labels, string? Model, TaskInfo[]? Tasks = null);

/// <summary>
/// A model.zip: a standard ML.NET model (mlContext.Model.Save) plus one extra entry with <see cref="ModelInfo"/>.
/// Saving is atomic (temp file + rename): a failed save never leaves a partial file or destroys an older one.
/// </summary>
public static class ModelFile
{
    private const string InfoEntry = "MLNetTransfer.Cli.json";

    /// <summary>Saves <paramref name="model"/> with its input <paramref name="schema"/> and <paramref name="info"/> to <paramref name="path"/>.</summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema schema, ModelInfo info, string path)
    {
        AtomicFile.Write(path, stream =>
        {
            using var buffer = new MemoryStream();
            mlContext.Model.Save(model, schema, buffer);
            buffer.Position = 0;
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
            {
                var entry = zip.CreateEntry(InfoEntry);
                using var writer = new StreamWriter(entry.Open());
                writer.Write(JsonSerializer.Serialize(info));
            }
            buffer.Position = 0;
            buffer.CopyTo(stream);
        });
    }

    /// <summary>
    /// Loads a model.zip written by <c>train</c>, or any other ML.NET model zip whose task and columns can be read from
    /// its schema (<see cref="ForeignModel"/>); a missing, non-zip, truncated or unusable file is a clear error.
    /// </summary>
    public static (ITransformer Model, ModelInfo Info) Load(MLContext mlContext, string path)
    {
        if (!File.Exists(path)) throw new CliException($"Model file '{path}' does not exist.");
        ModelInfo? info;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(InfoEntry);
            using var reader = entry is null ? null : new StreamReader(entry.Open());
            info = reader is null ? null // another ML.NET model zip: described from its own schema after loading
                : JsonSerializer.Deserialize<ModelInfo>(reader.ReadToEnd()) ?? throw new CliException($"'{path}': empty {InfoEntry}.");
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"'{path}' is not a valid model file (not a zip archive or corrupt: {e.Message}).");
        }
        catch (JsonException e)
        {
            throw new CliException($"'{path}': corrupt {InfoEntry} ({e.Message}).");
        }
        mlContext.RegisterTransferComponents();
        try
        {
            var model = mlContext.Model.Load(path, out var input);
            return info is not null ? (model, info) : ForeignModel.Describe(mlContext, model, input, path);
        }
        catch (Exception e) when (e is not CliException)
        {
            // ML.NET wraps the loader's reason in "Error during class instantiation" / TargetInvocationException.
            Exception reason = e;
            while (reason.InnerException is not null) reason = reason.InnerException;
            throw new CliException($"'{path}' could not be loaded as a model (corrupt or from an incompatible version): {reason.Message}");
        }
    }
}
