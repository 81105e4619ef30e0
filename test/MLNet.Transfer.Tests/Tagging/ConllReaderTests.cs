using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>The CoNLL reader: sentences, line numbers and file/line errors for malformed input.</summary>
[Category("Unit")]
public class ConllReaderTests
{
    private static IReadOnlyList<TaggedSentence> Parse(string text) => ConllReader.Read(new StringReader(text), "f.conll");

    [Test]
    public void ReadsSentencesSeparatedByBlankLinesWithTheirFirstLine()
    {
        var sentences = Parse("Paris\tB-location\nis\tO\n\n\n@bob\tB-person\nhi\tO\r\n");
        Assert.That(sentences, Has.Count.EqualTo(2));
        Assert.That(sentences[0].Tokens, Is.EqualTo(new[] { "Paris", "is" }));
        Assert.That(sentences[0].Tags, Is.EqualTo(new[] { "B-location", "O" }));
        Assert.That(sentences[0].Line, Is.EqualTo(1));
        Assert.That(sentences[1].Tokens, Is.EqualTo(new[] { "@bob", "hi" }));
        Assert.That(sentences[1].Tags, Is.EqualTo(new[] { "B-person", "O" }), "a CR before the newline is not part of the tag");
        Assert.That(sentences[1].Line, Is.EqualTo(5));
    }

    [Test]
    public void ALineWithoutATabNamesTheFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse("a\tO\nb\tO\n\nbroken line\n"));
        Assert.That(e!.Message, Does.StartWith("f.conll:4:").And.Contain("no tab"));
    }

    [Test]
    public void OtherColumnsThanTheFirstWordLineAnEmptyTokenOrAnEmptyTagAreErrorsWithTheLine()
    {
        Assert.That(() => Parse("a\tO\nb\tO\tX\n"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("f.conll:2:").And.Message.Contains("3 columns").And.Message.Contains("(1) has 2"));
        Assert.That(() => Parse("a\n"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("f.conll:1:").And.Message.Contains("only one column"));
        Assert.That(() => Parse("a\tO\n\tO\n"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("f.conll:2:").And.Message.Contains("token"));
        Assert.That(() => Parse("a\t\n"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("f.conll:1:").And.Message.Contains("tag"));
    }

    [Test]
    public void Conll2003ColumnsTabOrSpaceSeparatedTakeTheFirstAsWordAndTheLastAsTag()
    {
        const string text = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n-DOCSTART- -X- -X- O\nPeter NNP B-NP B-PER\n";
        foreach (var variant in new[] { text, text.Replace(' ', '\t') })
        {
            var sentences = Parse(variant);
            Assert.That(sentences.Select(s => string.Join(" ", s.Tokens) + "|" + string.Join(" ", s.Tags)),
                        Is.EqualTo(new[] { "EU rejects|B-ORG O", "Peter|B-PER" }), "-DOCSTART- ends a sentence and is not a word");
            Assert.That(sentences.Select(s => s.Line), Is.EqualTo(new[] { 3, 6 }));
        }
    }

    [Test]
    public void ConllUTakesFormAndUposAndSkipsCommentsRangesAndEmptyNodes()
    {
        const string text = "# sent_id = 1\n# text = I don't\n1\tI\tI\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
                            "2\tdo\tdo\tAUX\tVBP\t_\t0\troot\t_\t_\n2.1\tgo\tgo\tVERB\t_\t_\t_\t_\t0:root\t_\n3\tn't\tnot\tPART\tRB\t_\t2\tadvmod\t_\tSpaceAfter=No\n\n" +
                            "# sent_id = 2\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n";
        var sentences = Parse(text);
        Assert.That(sentences.Select(s => string.Join(" ", s.Tokens) + "|" + string.Join(" ", s.Tags)),
                    Is.EqualTo(new[] { "I do n't|PRON AUX PART", "Hi|INTJ" }));
        Assert.That(sentences[0].Line, Is.EqualTo(3));
    }

    [Test]
    public void AHashIsAWordOutsideConllU()
    {
        var sentences = Parse("#\tO\nfun\tO\n");
        Assert.That(sentences.Single().Tokens, Is.EqualTo(new[] { "#", "fun" }));
    }

    [Test]
    public void AnEmptyOrBlankFileIsAnError()
    {
        Assert.That(() => Parse(""), Throws.TypeOf<InvalidDataException>().With.Message.Contains("no sentences"));
        Assert.That(() => Parse("\n \n\n"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("f.conll:3:"));
    }

    [Test]
    public void AMissingFileIsFileNotFound()
    {
        Assert.That(() => ConllReader.ReadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".conll")), Throws.TypeOf<FileNotFoundException>());
    }

    [Test]
    public void WriteThenReadGivesTheSameSentences()
    {
        var sentences = Parse("New\tB-location\nYork\tI-location\n\nok\tO\n");
        var text = new StringWriter();
        ConllReader.Write(text, sentences);
        var back = Parse(text.ToString());
        Assert.That(back.Select(s => string.Join(" ", s.Tokens) + "|" + string.Join(" ", s.Tags)),
                    Is.EqualTo(new[] { "New York|B-location I-location", "ok|O" }));
    }

    [Test, Category("SharedData")]
    public void ReadsTheWnut17TrainingFileWithItsDocumentedCounts()
    {
        var sentences = ConllReader.ReadFile(SharedData.Path("ner-wnut17", "train.conll"));
        Assert.That(sentences, Has.Count.EqualTo(3394));
        Assert.That(sentences.Sum(s => s.Tokens.Length), Is.EqualTo(62730));
        Assert.That(sentences.SelectMany(s => s.Tags).Distinct().Count(), Is.EqualTo(13));
    }
}
