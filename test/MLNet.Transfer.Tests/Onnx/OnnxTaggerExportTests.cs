using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>
/// Taggers exported to ONNX and run in ONNX Runtime (windows of sentences with multi-piece words in one padded batch) give
/// the emissions TorchSharp gives within 1e-4 and, decoded per window (argmax, or constrained Viterbi on the exported CRF
/// scores), the same tags as <see cref="TagPredictor"/>; for every head and route, from the model and from a saved ML.NET zip.
/// </summary>
[Category("Unit")]
public class OnnxTaggerExportTests
{
    private const double Tolerance = 1e-4;
    private const int MaxTokens = 12;
    internal static readonly string[] BioTags = ["O", "B-film", "I-film", "B-food", "I-food"];

    /// <summary>Multi-piece words (films, warmly, FILMING, goods), an unknown word, mixed case, one word alone, and one sentence that needs windows.</summary>
    internal static readonly string[][] Sentences =
    [
        ["The", "films", "was", "warmly", "good"],
        ["i", "loved", "FILMING", "it"],
        ["the", "movie", "was", "very", "very", "slow", "and", "the", "acting", "was", "not", "good", "but", "the", "Food", "was", "warmly", "goods"],
        ["unknownword", "Phone", "battery"],
        ["a"],
    ];

    /// <summary>A tiny tagger with every weight perturbed; CRF scores scaled up so that transitions and constraints change the path.</summary>
    internal static TaggingModel Tagger(TaggerSpec spec, int seed, BertModel? encoder = null)
    {
        var model = new TaggingModel(encoder ?? TinyBert(seed), spec, headDropout: 0.1);
        manual_seed(seed);
        Perturb(model);
        if (model.Crf is { } crf)
        {
            using var _ = no_grad();
            foreach (var p in crf.parameters()) p.mul_(10);
        }
        model.eval();
        return model;
    }

    [TestCase(TaggingHead.Linear, false, 0, false)]
    [TestCase(TaggingHead.Crf, false, 0, false)]
    [TestCase(TaggingHead.Crf, false, 0, true)]
    [TestCase(TaggingHead.Linear, true, 0, true)]
    [TestCase(TaggingHead.Crf, true, 8, true)]
    [TestCase(TaggingHead.Linear, true, 6, false)]
    public void OnnxRuntimeGivesTheEmissionsAndTagsOfTheTorchSharpPredictor(TaggingHead head, bool featuresOnly, int biLstm, bool casing)
    {
        using var model = Tagger(new TaggerSpec(BioTags, head, featuresOnly, biLstm, casing), seed: 13);
        var tokenizer = BertWordPieceTokenizer.FromTokens(Vocabulary);
        var predictor = new TagPredictor(model, tokenizer, MaxTokens, batchSize: 2); // other batches, other padding than ORT's one batch
        var expected = predictor.Predict(Sentences);
        using var host = new OnnxTaggerHost(Bytes(s => TaggerOnnxExport.Write(model, s)), tokenizer, MaxTokens);

        var perSentence = Sentences.Select(host.Windows).ToArray();
        var windows = perSentence.SelectMany(w => w).ToArray();
        Assert.That(windows, Has.Length.GreaterThan(Sentences.Length), "the long sentence is read in several windows");
        Assert.That(windows.Any(w => w.FirstPieces.Zip(w.FirstPieces.Skip(1)).Any(p => p.Second - p.First > 1)), Is.True, "some words have several pieces");
        var torchEmissions = predictor.Emissions(windows);
        var onnx = host.Run(windows);
        double diff = MaxAbsDiff(torchEmissions.SelectMany(w => w), onnx.SelectMany(w => w.Emissions));
        TestContext.Out.WriteLine($"{head} features={featuresOnly} bilstm={biLstm} casing={casing}: max |ORT − TorchSharp| emission = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(Tolerance));

        foreach (bool decodeHere in new[] { false, true }) // the graph's predicted_tags, and a host's own decoding of the graph's scores
        {
            var tagged = host.Tag(Sentences, decodeHere);
            for (int s = 0; s < Sentences.Length; s++)
            {
                Assert.That(tagged[s].Tags, Is.EqualTo(expected[s].Tags.Select(t => BioTags[t])), $"sentence {s}, decoded {(decodeHere ? "in C#" : "in the graph")}");
                Assert.That(MaxAbsDiff([expected[s].Scores], [tagged[s].Scores]), Is.LessThanOrEqualTo(Tolerance), $"scores of sentence {s}");
            }
        }
        Assert.That(host.Tag([Sentences[^1]])[0].Tags, Is.EqualTo(expected[^1].Tags.Select(t => BioTags[t])), "a batch of one one-word row");
        var allTags = expected.SelectMany(p => p.Tags).ToArray();
        Assert.That(allTags.Distinct().Count(), Is.GreaterThan(1), "tags vary, so the comparison means something");
        if (head == TaggingHead.Crf)
        {
            int next = 0;
            var argmax = perSentence.Select((ws, i) => WordPieceAlignment.Stitch(ws, ws.Select(_ => torchEmissions[next++].Select(e => Array.IndexOf(e, e.Max())).ToArray()).ToArray(), Sentences[i].Length)).ToArray();
            Assert.That(argmax.SelectMany(t => t), Is.Not.EqualTo(allTags), "the CRF's transitions and constraints change some tags, so decoding is tested too");
            var (start, end, transitions) = model.Crf!.Scores();
            Assert.That(host.Crf!.Value.Start, Is.EqualTo(start));
            Assert.That(host.Crf.Value.End, Is.EqualTo(end));
            Assert.That(host.Crf.Value.Transitions, Is.EqualTo(transitions), "the CRF's scores are exported exactly");
        }
    }

    [TestCase(9)]
    [TestCase(1)]
    public void TheGraphsViterbiEqualsViterbiDecodeOnRandomRowsOfEveryLength(int words)
    {
        const int rows = 64;
        int tags = BioTags.Length;
        var random = new Random(words);
        float[] Scores(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var (start, end, flat) = (Scores(tags, 2), Scores(tags, 2), Scores(tags * tags, 2));
        var transitions = new float[tags, tags];
        Buffer.BlockCopy(flat, 0, transitions, 0, flat.Length * sizeof(float));
        var (allowedStarts, allowedTransitions) = (TagConstraints.Starts(BioTags), TagConstraints.Transitions(BioTags));

        var g = new OnnxGraphBuilder();
        string emissions = g.Input("emissions", OnnxProto.Float, "batch", "words", tags);
        string lengths = g.Input("lengths", OnnxProto.Int64, "batch", 1);
        string path = new ViterbiOnnxGraph(g, tags).Decode(emissions, lengths, g.FloatConstant("start", start, [tags]), g.FloatConstant("end", end, [tags]),
                                                           g.FloatConstant("transitions", flat, [tags, tags]), allowedStarts, allowedTransitions);
        g.Output(path, "path", OnnxProto.Int64, "batch", "words");
        using var session = new InferenceSession(Bytes(s => OnnxProto.Model(g.Build("viterbi"), OnnxExport.Opset, "tests", "0", []).WriteTo(s)));

        var values = Scores(rows * words * tags, 3);
        var rowLengths = Enumerable.Range(0, rows).Select(r => r == 0 ? words : 1 + random.Next(words)).ToArray();
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("emissions", new DenseTensor<float>(values, [rows, words, tags])),
            NamedOnnxValue.CreateFromTensor("lengths", new DenseTensor<long>(rowLengths.Select(l => (long)l).ToArray(), [rows, 1])),
        ]);
        var decoded = results.Single().AsTensor<long>();
        int changed = 0;
        for (int r = 0; r < rows; r++)
        {
            var rowEmissions = Enumerable.Range(0, rowLengths[r]).Select(w => values.AsSpan((r * words + w) * tags, tags).ToArray()).ToArray();
            var expected = Viterbi.Decode(rowEmissions, start, end, transitions, allowedTransitions, allowedStarts).Path;
            Assert.That(Enumerable.Range(0, rowLengths[r]).Select(w => (int)decoded[r, w]), Is.EqualTo(expected), $"row {r} of {rowLengths[r]} words");
            if (!expected.SequenceEqual(rowEmissions.Select(e => Array.IndexOf(e, e.Max())))) changed++;
        }
        if (words > 1) Assert.That(changed, Is.GreaterThan(rows / 4), "transitions and constraints change many paths, so the comparison means something");
    }

    [Test]
    public void TheMetadataNamesTheTagsHeadAndRouteAndCarriesTheCrfScoresAndConstraints()
    {
        using var model = Tagger(new TaggerSpec(BioTags, TaggingHead.Crf, FeaturesOnly: true, BiLstmHidden: 4, CasingFeatures: true), seed: 2);
        using var host = new OnnxTaggerHost(Bytes(s => TaggerOnnxExport.Write(model, s)), BertWordPieceTokenizer.FromTokens(Vocabulary), MaxTokens);
        var map = host.Metadata;
        Assert.That(map["mlnet_transfer.kind"], Is.EqualTo("tagger"));
        Assert.That(host.Tags, Is.EqualTo(BioTags));
        Assert.That(host.Head, Is.EqualTo("Crf"));
        Assert.That((map["mlnet_transfer.features_only"], map["mlnet_transfer.bilstm_hidden"], map["mlnet_transfer.casing_features"]), Is.EqualTo(("true", "4", "true")));
        Assert.That(map["mlnet_transfer.word_shapes"], Does.Contain("Title"));
        using var crf = JsonDocument.Parse(map["mlnet_transfer.crf"]);
        var (start, _, transitions) = model.Crf!.Scores();
        Assert.That(crf.RootElement.GetProperty("start_transitions").Deserialize<float[]>(), Is.EqualTo(start), "floats round-trip through JSON exactly");
        Assert.That(crf.RootElement.GetProperty("transitions")[1][4].GetSingle(), Is.EqualTo(transitions[1, 4]));
        var allowed = crf.RootElement.GetProperty("allowed_transitions");
        Assert.That((allowed[0][2].GetBoolean(), allowed[1][2].GetBoolean(), allowed[3][2].GetBoolean()), Is.EqualTo((false, true, false)), "I-film only after B-film or I-film");
        Assert.That(crf.RootElement.GetProperty("allowed_starts").Deserialize<bool[]>(), Is.EqualTo(new[] { true, true, false, true, false }));
        Assert.That(map["mlnet_transfer.decoding"], Does.Contain("Viterbi"));
    }

    [Test]
    public void RecurrentAndCausalEncodersAreRefusedAndAFailedSaveLeavesThePreviousFile()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "tagger.onnx");
        File.WriteAllText(path, "previous");
        using var recurrent = new TaggingModel(new RecurrentEncoder(RecurrentLanguageModelTests.Tiny(RecurrentConfig.AwdLstmType, Vocabulary.Length)),
                                               new TaggerSpec(BioTags, TaggingHead.Crf), 0);
        Assert.That(() => TaggerOnnxExport.Save(recurrent, path),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contain("BERT").And.Message.Contain(RecurrentConfig.AwdLstmType));
        Assert.That(File.ReadAllText(path), Is.EqualTo("previous"));
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { path }), "no temp file is left beside the target");

        using var causal = new TaggingModel(new BertModel(TestModels.TinyConfig(Vocabulary.Length) with { IsDecoder = true }), new TaggerSpec(BioTags, TaggingHead.Linear), 0);
        Assert.That(() => TaggerOnnxExport.Save(causal, path), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("causal"));
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { path }));

        using var model = Tagger(new TaggerSpec(BioTags, TaggingHead.Linear), seed: 4);
        TaggerOnnxExport.Save(model, path);
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { path }));
        using var host = new OnnxTaggerHost(File.ReadAllBytes(path), BertWordPieceTokenizer.FromTokens(Vocabulary), MaxTokens);
        Assert.That(host.Tag(Sentences), Has.Length.EqualTo(Sentences.Length), "a successful save replaces the file with a model");
    }

    [TestCase(TaggingHead.Linear, false)]
    [TestCase(TaggingHead.Crf, true)]
    public void ATaggerInASavedPipelineExportsThroughTheCatalogAndTagsLikeTheTransformer(TaggingHead head, bool features)
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1).RegisterTransferComponents();
        var sentences = TinyTagging.Sentences(24, 3);
        var longSentence = sentences.Take(4).SelectMany(s => s.Tokens).ToArray(); // more than MaxTokens pieces: windows
        var data = mlContext.Data.LoadFromEnumerable(sentences.Select(s => new TaggedSentenceRow { Tokens = s.Tokens, Tags = s.Tags }).ToList());
        var pipeline = mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(new TokenClassifierOptions
        {
            Encoder = TinyPipelines.NewEncoder(), Head = head, FreezeEncoder = features, BiLstmHiddenSize = 8, CasingFeatures = features,
            Epochs = 1, BatchSize = 8, MaxTokens = 16, LearningRate = 2e-3, Seed = 5,
        });
        string zip = Path.Combine(temp.Path, "tagger.zip");
        mlContext.Model.Save(pipeline.Fit(data), data.Schema, zip);
        var loaded = mlContext.Model.Load(zip, out _);
        string path = Path.Combine(temp.Path, "tagger.onnx");
        mlContext.Model.ExportTransferModelToOnnx(loaded, path);
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { zip, path }), "no temp file is left beside the model");

        var tagger = loaded as TokenClassificationTransformer ?? ((IEnumerable<ITransformer>)loaded).OfType<TokenClassificationTransformer>().Single();
        using var host = new OnnxTaggerHost(File.ReadAllBytes(path)); // tokenizer and window size from the metadata alone
        Assert.That(host.MaxTokens, Is.EqualTo(16));
        Assert.That(host.Metadata["mlnet_transfer.tokens_column"], Is.EqualTo("Tokens"));
        Assert.That(host.Metadata["mlnet_transfer.window_policy"], Does.Contain("max_tokens"));
        Assert.That(host.Metadata.ContainsKey("mlnet_transfer.truncation"), Is.False, "taggers read long sentences in windows, never truncated");
        var words = sentences.Select(s => (IReadOnlyList<string>)s.Tokens).Append(longSentence).Append(["New", "York", "MADRID", "iPhone"]).ToArray();
        Assert.That(host.Windows(longSentence), Has.Count.GreaterThan(1));
        var expected = tagger.Predict(words);
        var actual = host.Tag(words);
        Assert.That(actual.Select(a => a.Tags), Is.EqualTo(expected));
        var scores = tagger.Transform(mlContext.Data.LoadFromEnumerable(words.Select(w => new TaggedSentenceRow { Tokens = w.ToArray() }).ToList()))
            .GetColumn<float[]>("Score").ToArray();
        Assert.That(scores.SelectMany(s => s).Distinct().Count(), Is.GreaterThan(10), "scores vary, so the comparison means something");
        double diff = MaxAbsDiff(scores, actual.Select(a => a.Scores));
        TestContext.Out.WriteLine($"{head} features={features}: max |ORT − ML.NET| score = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(Tolerance));
    }
}
