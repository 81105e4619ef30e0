using System.Diagnostics;
using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Bert;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Crafted weight files: sizes declared in a safetensors header are checked against the bytes really there before
/// anything is allocated, from a file or from a stream that cannot seek; a pickle is never read as weights.
/// (A plain corrupt header length and a pytorch_model.bin are covered in Encoders/EncoderPersistenceTests.)
/// </summary>
[Category("Reliability")]
public class HostileSafetensorsTests
{
    private const long OneMegabyte = 1 << 20;

    /// <summary>The start of a PyTorch >= 1.6 checkpoint: a zip holding data.pkl.</summary>
    private static readonly byte[] ZipPickle = "PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000archive/data.pkl\u0080\u0002cposix\nsystem\n"u8.ToArray();

    /// <summary>A protocol-2 pickle (PyTorch before 1.6) that would call os.system if unpickled.</summary>
    private static readonly byte[] LegacyPickle = "\u0080\u0002}q\u0000(X\u0004\u0000\u0000\u0000evilq\u0001cos\nsystem\nq\u0002."u8.ToArray();

    public static IEnumerable<TestCaseData> HostileFiles()
    {
        yield return new TestCaseData(Header(long.MaxValue), "header length").SetName("HeaderLengthLongMaxValue");
        yield return new TestCaseData(Header(Safetensors.MaxHeaderBytes), "header").SetName("HeaderLength100MBInATinyFile");
        yield return new TestCaseData(Header(1L << 40), "header length").SetName("HeaderLengthOneTerabyte");
        yield return new TestCaseData(Header(-8), "header length").SetName("HeaderLengthNegative");
        yield return new TestCaseData(Tensor("[1048576, 1048576]", 0, 4L << 40), "'huge'").SetName("TensorOfFourTerabytes");
        yield return new TestCaseData(Tensor("[4294967296, 4294967296, 4294967296]", 0, 16), "'huge'").SetName("TensorShapeOverflowingInt64");
        yield return new TestCaseData(Tensor("[2, 2]", 0, 1L << 40), "'huge'").SetName("DataOffsetsNotMatchingTheShape");
        yield return new TestCaseData(Tensor("[-1, 4]", 0, 16), "'huge'").SetName("NegativeDimension");
        yield return new TestCaseData(ZipPickle, "header length").SetName("PyTorchZipPickleNamedSafetensors");
    }

    [TestCaseSource(nameof(HostileFiles))]
    public void FailsFastWithoutAllocatingTheDeclaredSize(byte[] bytes, string expectedInMessage)
    {
        foreach (bool seekable in new[] { true, false })
        {
            using Stream stream = seekable ? new MemoryStream(bytes, writable: false) : new ForwardOnlyStream(bytes);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(stream, "hostile.safetensors"), seekable ? "seekable" : "forward-only");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.That(error!.Message, Does.Contain("hostile.safetensors").And.Contain(expectedInMessage));
            Assert.That(allocated, Is.LessThan(OneMegabyte), $"{(seekable ? "seekable" : "forward-only")}: allocated {allocated:N0} bytes");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        }
    }

    [Test]
    public void PickleSavedAsModelSafetensorsIsRefusedNamingTheFile()
    {
        using var temp = TestModels.TempDir();
        var config = TestModels.TinyConfig(vocabSize: 8);
        using (var model = new BertModel(config))
            HuggingFaceDirectory.Write(temp.Path, config, model.state_dict(), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"]);
        foreach (byte[] pickle in new[] { ZipPickle, LegacyPickle })
        {
            File.WriteAllBytes(Path.Combine(temp.Path, ModelDirectory.WeightsFile), pickle);
            var error = Assert.Throws<InvalidDataException>(() => PretrainedEncoder.Load(temp.Path));
            Assert.That(error!.Message, Does.Contain("model.safetensors"));
        }
    }

    private static byte[] Header(long declaredLength) => [.. BitConverter.GetBytes(declaredLength), .. "{\"a\":1}"u8, .. new byte[1000]];

    /// <summary>A well-formed header declaring one F32 tensor "huge" with the given shape and offsets, and 64 bytes of data.</summary>
    private static byte[] Tensor(string shape, long begin, long end)
    {
        byte[] json = Encoding.UTF8.GetBytes($"{{\"huge\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}}}");
        return [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[64]];
    }

    /// <summary>A stream that can only be read forward (length unknown), like a network or decompression stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
