using System.Text;
using System.Text.Json;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

[Category("Unit")]
public class HuggingFaceTokenizerFilesTests
{
    private static string TokenizerJson(bool lowercase, string modelType = "WordPiece")
    {
        var vocab = TestVocab.SmallTokens().Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);
        vocab["A"] = 31;
        var json = new
        {
            version = "1.0",
            normalizer = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase },
            pre_tokenizer = new { type = "BertPreTokenizer" },
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[]
                {
                    new { SpecialToken = new { id = "[CLS]", type_id = 0 } },
                    new { Sequence = new { id = "A", type_id = 0 } },
                    new { SpecialToken = new { id = "[SEP]", type_id = 0 } },
                },
            },
            model = new { type = modelType, unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab },
        };
        return JsonSerializer.Serialize(json);
    }

    private static BertWordPieceTokenizer FromJson(string json) =>
        BertWordPieceTokenizer.FromTokenizerJson(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    [Test]
    public void TokenizerJsonGivesVocabularyAndLowerCasing()
    {
        var tokenizer = FromJson(TokenizerJson(lowercase: true));

        Assert.That(tokenizer.VocabSize, Is.EqualTo(32));
        Assert.That(tokenizer.LowerCase, Is.True);
        Assert.That(tokenizer.Encode("A b", 8).InputIds, Is.EqualTo(new[] { 2, 5, 6, 3 }));
    }

    [Test]
    public void CasedTokenizerJsonKeepsCase()
    {
        var tokenizer = FromJson(TokenizerJson(lowercase: false));

        Assert.That(tokenizer.LowerCase, Is.False);
        Assert.That(tokenizer.Encode("A b", 8).InputIds, Is.EqualTo(new[] { 2, 31, 6, 3 }));
    }

    [Test]
    public void NonWordPieceModelIsNotSupported()
    {
        var error = Assert.Throws<NotSupportedException>(() => FromJson(TokenizerJson(true, modelType: "BPE")));
        Assert.That(error!.Message, Does.Contain("BPE"));
    }

    [Test]
    public void DirectoryWithVocabAndConfigIsRead()
    {
        string directory = Directory.CreateTempSubdirectory("mlnet-transfer-tok-").FullName;
        try
        {
            using (var vocab = File.Create(Path.Combine(directory, "vocab.txt")))
                TestVocab.BertUncased.SaveVocabulary(vocab);
            var uncased = BertWordPieceTokenizer.FromHuggingFaceDirectory(directory);
            Assert.That(uncased.Encode("Hello World", 16).InputIds, Is.EqualTo(new[] { 101, 7592, 2088, 102 }));

            File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), """{"do_lower_case": false, "cls_token": "[CLS]"}""");
            var cased = BertWordPieceTokenizer.FromHuggingFaceDirectory(directory);
            Assert.That(cased.LowerCase, Is.False);

            File.WriteAllText(Path.Combine(directory, "tokenizer.json"), TokenizerJson(lowercase: true));
            Assert.That(BertWordPieceTokenizer.FromHuggingFaceDirectory(directory).VocabSize, Is.EqualTo(32), "tokenizer.json wins");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void MissingDirectoryOrFilesAreClearErrors()
    {
        Assert.Throws<DirectoryNotFoundException>(() => BertWordPieceTokenizer.FromHuggingFaceDirectory("/no/such/model"));
        string empty = Directory.CreateTempSubdirectory("mlnet-transfer-tok-").FullName;
        try
        {
            var error = Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromHuggingFaceDirectory(empty));
            Assert.That(error!.Message, Does.Contain("neither tokenizer.json nor vocab.txt"));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
