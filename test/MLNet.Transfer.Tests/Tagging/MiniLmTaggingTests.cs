using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>Tagging with the real all-MiniLM-L6-v2: it learns a small NER task quickly, and Save/Load is exact with an 85 MB payload (about 2–3 minutes on a shared 2-core machine).</summary>
[Category("Integration")]
public class MiniLmTaggingTests
{
    [Test]
    public void FineTunedMiniLmWithACrfTagsTheSyntheticEntitiesAndSurvivesSaveAndLoad()
    {
        using var temp = TestModels.TempDir();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(96, 1));
        var valid = ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(32, 2));
        var options = new TokenClassifierOptions
        {
            Encoder = TestModels.MiniLm, Head = TaggingHead.Crf, Epochs = 3, BatchSize = 8, MaxTokens = 32, LearningRate = 3e-4, Seed = 3,
        };
        var model = ml.MulticlassClassification.Trainers.FineTuneTokenClassifier(options).Fit(train);
        var metrics = ml.MulticlassClassification.EvaluateTokenClassification(model.Transform(valid));
        Assert.That(metrics.F1Score, Is.GreaterThan(0.9), metrics.ToTable());

        string zip = Path.Combine(temp.Path, "minilm-tagger.zip");
        ml.Model.Save(model, train.Schema, zip);
        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        var before = model.Transform(valid).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        var after = loaded.Transform(valid).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        Assert.That(before.Distinct().Count(), Is.GreaterThan(10));
        Assert.That(after, Is.EqualTo(before));
    }
}
