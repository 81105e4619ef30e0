using System.Text;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

/// <summary>Any string encodes without throwing, deterministically, also from many threads at once.</summary>
[Category("Unit")]
public class TokenizerRobustnessTests
{
    private static BertWordPieceTokenizer Tokenizer => TestVocab.BertUncased;

    [Test]
    public void TenThousandRandomUnicodeStringsEncodeDeterministicallyAndConcurrently()
    {
        var random = new Random(20240917);
        string[] texts = [.. Enumerable.Range(0, 10_000).Select(_ => RandomText(random))];
        Assert.That(texts.Max(t => t.Length), Is.GreaterThan(4_000));

        // Sequential pass: check every invariant.
        var sequential = new EncodedText[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            var truncation = (TruncationStrategy)(i % 3);
            var encoded = Tokenizer.Encode(texts[i], 64, truncation);
            sequential[i] = encoded;
            if (encoded.Length > 64 || encoded.InputIds[0] != 101 || encoded.InputIds[^1] != 102
                || encoded.InputIds.Any(id => id < 0 || id >= Tokenizer.VocabSize) || encoded.TokenTypeIds.Any(t => t != 0))
                Assert.Fail($"Invalid encoding of text #{i}: [{string.Join(", ", encoded.InputIds)}]");
            if (truncation == TruncationStrategy.Head && i % 10 == 0)
            {
                // The early-stopping head path must equal encoding everything and cutting.
                int[] all = Tokenizer.EncodeWordPieces(texts[i]);
                Assert.That(encoded.InputIds[1..^1], Is.EqualTo(all[..Math.Min(all.Length, 62)]), $"text #{i}");
            }
        }

        // Parallel pass over the same tokenizer must give identical ids.
        var parallel = new EncodedText[texts.Length];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => parallel[i] = Tokenizer.Encode(texts[i], 64, (TruncationStrategy)(i % 3)));
        for (int i = 0; i < texts.Length; i++)
        {
            if (!parallel[i].InputIds.AsSpan().SequenceEqual(sequential[i].InputIds))
                Assert.Fail($"Text #{i} encoded differently on a second (parallel) pass.");
        }
    }

    [Test]
    public void HundredThousandCharacterTextEncodesInEveryMode()
    {
        var random = new Random(3);
        var builder = new StringBuilder();
        while (builder.Length < 100_000)
            builder.Append(RandomText(random)).Append(' ').Append("Some ordinary words, in a sentence. ");
        string text = builder.ToString();

        foreach (TruncationStrategy strategy in Enum.GetValues<TruncationStrategy>())
            Assert.That(Tokenizer.Encode(text, 512, strategy).Length, Is.EqualTo(512), strategy.ToString());
        var pair = Tokenizer.EncodePair(text, "a question?", 512);
        Assert.That(pair.InputIds[^5..], Is.EqualTo(new[] { 102, 1037, 3160, 1029, 102 }));
        var windows = Tokenizer.EncodeWindows(text, 512, 256);
        Assert.That(windows.Count, Is.GreaterThan(10));
        Assert.That(windows.Sum(w => w.Length - 2), Is.GreaterThanOrEqualTo(Tokenizer.EncodeWordPieces(text).Length));
    }

    [Test]
    public void ImdbSentencesEncode()
    {
        string path = RepoData.Uci("imdb");
        var texts = File.ReadLines(path).Skip(1).Select(line => line[(line.IndexOf('\t') + 1)..]).ToArray();
        Assert.That(texts, Has.Length.GreaterThan(500));

        int unknown = 0, total = 0;
        foreach (string text in texts)
        {
            var encoded = Tokenizer.Encode(text, 128);
            Assert.That(encoded.Length, Is.InRange(3, 128), text);
            unknown += encoded.InputIds.Count(id => id == Tokenizer.UnkId);
            total += encoded.Length;
        }
        Assert.That(unknown, Is.LessThan(total / 1000), "real English text is almost never [UNK]");
    }

    private static string RandomText(Random random) => RandomUnicodeText.Next(random);
}
