using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// The embedded models reproduce reference vectors (L2-normalised, first 5 dimensions) computed with the upstream
/// sentence-transformers models; the values are the ones written in each test.
/// </summary>
[Category("Integration")]
public class ReferenceEmbeddingTests
{
    private static void AssertStartsWith(float[] vector, double[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.That(vector[i], Is.EqualTo(expected[i]).Within(1e-4), $"dimension {i}");
    }

    [Test]
    public void MiniLmMeanPoolingMatchesSentenceTransformers()
    {
        var v = TestModels.MiniLm.Embed(["This is an example sentence"], new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = true })[0];
        Assert.That(v, Has.Length.EqualTo(384));
        AssertStartsWith(v, [0.0677, 0.0635, 0.0487, 0.0793, 0.0374]);
    }

    [Test]
    public void MiniLmClsPoolingMatchesReference()
    {
        var v = TestModels.MiniLm.Embed(["hello world"], new EmbeddingSettings { Pooling = PoolingMode.Cls, Normalize = true })[0];
        AssertStartsWith(v, [0.0259, 0.0058, 0.0114, 0.0380, -0.0233]);
    }

    [Test]
    public void ArcticXsClsPoolingMatchesReference()
    {
        var v = TestModels.Arctic.Embed(["hello world"], new EmbeddingSettings { Pooling = PoolingMode.Cls, Normalize = true })[0];
        AssertStartsWith(v, [0.0093, 0.0620, 0.0196, 0.0091, -0.0114]);
    }

    [Test]
    public void NormalizedVectorsHaveUnitLength()
    {
        var vectors = TestModels.MiniLm.Embed(["short", "", "a somewhat longer sentence about films"], new EmbeddingSettings { Normalize = true });
        foreach (var v in vectors)
            Assert.That(Math.Sqrt(v.Sum(x => (double)x * x)), Is.EqualTo(1).Within(1e-5));
    }
}
