using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

/// <summary>Encoding with the real bert-base-uncased vocabulary; expected ids are Hugging Face's.</summary>
[Category("Unit")]
public class BertWordPieceTokenizerTests
{
    private static BertWordPieceTokenizer Tokenizer => TestVocab.BertUncased;

    [Test]
    public void VocabularyAndSpecialIdsAreBertBaseUncased()
    {
        Assert.That(Tokenizer.VocabSize, Is.EqualTo(30522));
        Assert.That((Tokenizer.PadId, Tokenizer.UnkId, Tokenizer.ClsId, Tokenizer.SepId, Tokenizer.MaskId),
            Is.EqualTo((0, 100, 101, 102, 103)));
        Assert.That(Tokenizer.IdToToken(7592), Is.EqualTo("hello"));
        Assert.That(Tokenizer.TryGetId("##ing", out int ing), Is.True);
        Assert.That(Tokenizer.IdToToken(ing), Is.EqualTo("##ing"));
        Assert.That(Tokenizer.TryGetId("not-a-token", out _), Is.False);
        Assert.That(Tokenizer.LowerCase, Is.True);
    }

    [TestCase("hello world")]
    [TestCase("Hello World")]
    [TestCase("  HELLO   world  ")]
    public void HelloWorldEncodesToClsHelloWorldSep(string text)
    {
        var encoded = Tokenizer.Encode(text, maxTokens: 128);

        Assert.That(encoded.InputIds, Is.EqualTo(new[] { 101, 7592, 2088, 102 }));
        Assert.That(encoded.TokenTypeIds, Is.EqualTo(new[] { 0, 0, 0, 0 }));
        Assert.That(encoded.Length, Is.EqualTo(4));
        Assert.That(Tokenizer.GetTokens(encoded), Is.EqualTo(new[] { "[CLS]", "hello", "world", "[SEP]" }));
    }

    // Expected ids from Hugging Face's BertTokenizer algorithm (BasicTokenizer + WordPiece) on this vocab.
    [TestCase("Ångström café naïve", new[] { 17076, 15687, 7668, 15743 }, TestName = "Accents are stripped")]
    [TestCase("$5 + 3 = 8 <3", new[] { 1002, 1019, 1009, 1017, 1027, 1022, 1026, 1017 }, TestName = "ASCII symbols are punctuation")]
    [TestCase("I loved it 😀", new[] { 1045, 3866, 2009, 100 }, TestName = "Emoji is unknown, not dropped")]
    [TestCase("hello\nworld\tagain", new[] { 7592, 2088, 2153 }, TestName = "Newline and tab separate words")]
    [TestCase("foo_bar", new[] { 29379, 1035, 3347 }, TestName = "Underscore is punctuation")]
    [TestCase("中文字符", new[] { 1746, 1861, 100, 100 }, TestName = "CJK ideographs are single words")]
    [TestCase("Hello\u200bworld", new[] { 7592, 11108 }, TestName = "Format characters are removed")]
    [TestCase("İstanbul", new[] { 9960 }, TestName = "Dotted capital I lower-cases to i")]
    [TestCase("x²", new[] { 1060, 10701 }, TestName = "Superscript stays in its word")]
    [TestCase("Hello, unbelievable world!", new[] { 7592, 1010, 23653, 2088, 999 }, TestName = "Punctuation splits")]
    [TestCase("[SEP] [MASK]x", new[] { 102, 103, 1060 }, TestName = "Verbatim special tokens are matched")]
    [TestCase("[sep]", new[] { 1031, 19802, 1033 }, TestName = "Lower-case special token text is ordinary text")]
    public void WordPiecesMatchHuggingFace(string text, int[] expected)
    {
        Assert.That(Tokenizer.EncodeWordPieces(text), Is.EqualTo(expected));
    }

    [Test]
    public void PairEncodesWithSeparatorsAndSegmentIds()
    {
        var encoded = Tokenizer.EncodePair("hello world", "how are you", maxTokens: 128);

        Assert.That(encoded.InputIds, Is.EqualTo(new[] { 101, 7592, 2088, 102, 2129, 2024, 2017, 102 }));
        Assert.That(encoded.TokenTypeIds, Is.EqualTo(new[] { 0, 0, 0, 0, 1, 1, 1, 1 }));
    }

    [TestCase("")]
    [TestCase("   \t\n ")]
    [TestCase("\u0000\u200b\ufffd")]
    public void EmptyOrInvisibleTextGivesClsSep(string text)
    {
        Assert.That(Tokenizer.Encode(text, 16).InputIds, Is.EqualTo(new[] { 101, 102 }));
        Assert.That(Tokenizer.EncodePair(text, text, 16).InputIds, Is.EqualTo(new[] { 101, 102, 102 }));
        Assert.That(Tokenizer.EncodePair(text, text, 16).TokenTypeIds, Is.EqualTo(new[] { 0, 0, 1 }));
    }

    [Test]
    public void NullTextIsRejectedWithTheParameterName()
    {
        var single = Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode(null!, 16));
        Assert.That(single!.ParamName, Is.EqualTo("text"));
        Assert.That(single.Message, Does.Contain("must not be null"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodePair("a", null!, 16))!.ParamName, Is.EqualTo("second"));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeWindows(null!, 16, 8));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeWordPieces(null!));
    }

    [Test]
    public void BudgetsBelowTheSpecialTokensAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("hi", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodePair("a", "b", 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("hi", 8, TruncationStrategy.HeadAndTail, headFraction: 1.5));
        Assert.That(Tokenizer.Encode("hello world", 2).InputIds, Is.EqualTo(new[] { 101, 102 }));
    }

    [Test]
    public void ImdbSentenceMatchesHuggingFaceIds()
    {
        var encoded = Tokenizer.Encode("A very, very, very slow-moving, aimless movie about a distressed, drifting young man.", 128);

        Assert.That(encoded.InputIds, Is.EqualTo(new[]
        {
            101, 1037, 2200, 1010, 2200, 1010, 2200, 4030, 1011, 3048, 1010, 6614, 3238, 3185, 2055, 1037, 24305, 1010,
            15013, 2402, 2158, 1012, 102,
        }));
    }

    [Test]
    public void DecodeJoinsWordPiecesAndSkipsSpecialTokens()
    {
        var encoded = Tokenizer.Encode("Hello, unbelievable world! Tokenization", 128);

        Assert.That(Tokenizer.Decode(encoded.InputIds), Is.EqualTo("hello , unbelievable world ! tokenization"));
        Assert.That(Tokenizer.Decode(encoded.InputIds, skipSpecialTokens: false), Does.StartWith("[CLS] hello").And.EndWith("[SEP]"));
    }

    [Test]
    public void SavedVocabularyLoadsBackIdentically()
    {
        using var saved = new MemoryStream();
        Tokenizer.SaveVocabulary(saved);
        saved.Position = 0;
        var reloaded = BertWordPieceTokenizer.FromVocab(saved);

        Assert.That(reloaded.Vocabulary, Is.EqualTo(Tokenizer.Vocabulary));
        Assert.That(reloaded.Encode("Tokenizers are fun!", 32).InputIds, Is.EqualTo(Tokenizer.Encode("Tokenizers are fun!", 32).InputIds));
    }

    [Test]
    public void CasedTokenizerKeepsCaseAndAccents()
    {
        var cased = BertWordPieceTokenizer.FromVocab(TestVocab.BertUncasedVocabStream(), lowerCase: false);

        // The uncased vocabulary has no "Hello" and no "é" words: cased input falls back to pieces or [UNK].
        Assert.That(cased.EncodeWordPieces("hello"), Is.EqualTo(new[] { 7592 }));
        Assert.That(cased.EncodeWordPieces("Hello"), Is.Not.EqualTo(new[] { 7592 }));
        Assert.That(cased.LowerCase, Is.False);
    }

    [Test]
    public void MissingSpecialTokenOrDuplicateTokenIsAClearError()
    {
        string[] noMask = [.. TestVocab.SmallTokens().Where(t => t != "[MASK]")];
        var missing = Assert.Throws<ArgumentException>(() => BertWordPieceTokenizer.FromTokens(noMask));
        Assert.That(missing!.Message, Does.Contain("[MASK]"));

        string[] duplicate = [.. TestVocab.SmallTokens(), "a"];
        var repeated = Assert.Throws<ArgumentException>(() => BertWordPieceTokenizer.FromTokens(duplicate));
        Assert.That(repeated!.Message, Does.Contain("repeats the token 'a'"));

        Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromVocabFile("/no/such/vocab.txt"));
    }
}
