using MLNet.Transfer.Text;
using TorchSharp;

namespace MLNet.Transfer.Tests.Text;

[Category("Unit")]
public class TokenBatchTests
{
    private static readonly EncodedText[] Items =
    [
        new([101, 7592, 2088, 102], [0, 0, 0, 0]),
        new([101, 102], [0, 0]),
        new([101, 7, 102, 8, 102], [0, 0, 0, 1, 1]),
    ];

    [Test]
    public void PadsToTheLongestItemWithMaskAndTypeIds()
    {
        using var batch = TokenBatch.Create(Items, padId: 0);

        Assert.That(batch.InputIds.shape, Is.EqualTo(new long[] { 3, 5 }));
        Assert.That(batch.InputIds.dtype, Is.EqualTo(torch.ScalarType.Int64));
        Assert.That((batch.BatchSize, batch.SequenceLength), Is.EqualTo((3, 5)));
        Assert.That(batch.Lengths, Is.EqualTo(new[] { 4, 2, 5 }));
        Assert.That(batch.InputIds.data<long>().ToArray(), Is.EqualTo(new long[]
        {
            101, 7592, 2088, 102, 0,
            101, 102, 0, 0, 0,
            101, 7, 102, 8, 102,
        }));
        Assert.That(batch.TokenTypeIds.data<long>().ToArray(), Is.EqualTo(new long[]
        {
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
            0, 0, 0, 1, 1,
        }));
        Assert.That(batch.AttentionMask.data<long>().ToArray(), Is.EqualTo(new long[]
        {
            1, 1, 1, 1, 0,
            1, 1, 0, 0, 0,
            1, 1, 1, 1, 1,
        }));
        Assert.That(batch.AttentionMask.sum().item<long>(), Is.EqualTo(batch.Lengths.Sum()));
    }

    [Test]
    public void UsesTheGivenPadIdAndDevice()
    {
        using var batch = TokenBatch.Create(Items[..2], padId: 9, torch.CPU);

        Assert.That(batch.InputIds.data<long>().ToArray(), Is.EqualTo(new long[] { 101, 7592, 2088, 102, 101, 102, 9, 9 }));
        Assert.That(batch.InputIds.device_type, Is.EqualTo(DeviceType.CPU));
    }

    [Test]
    public void BatchOfTokenizerOutputRoundTrips()
    {
        var tokenizer = TestVocab.BertUncased;
        string[] texts = ["hello world", "a much longer sentence than the first one", ""];
        var encoded = texts.Select(t => tokenizer.Encode(t, 32)).ToArray();

        using var batch = TokenBatch.Create(encoded, tokenizer.PadId);

        for (int row = 0; row < texts.Length; row++)
        {
            long[] rowIds = batch.InputIds[row].data<long>().ToArray();
            Assert.That(rowIds[..encoded[row].Length].Select(i => (int)i), Is.EqualTo(encoded[row].InputIds));
            Assert.That(rowIds[encoded[row].Length..], Is.All.EqualTo((long)tokenizer.PadId));
        }
    }

    [Test]
    public void EmptyBatchOrEmptyItemIsRejected()
    {
        Assert.Throws<ArgumentException>(() => TokenBatch.Create([], 0));
        Assert.Throws<ArgumentException>(() => TokenBatch.Create([new EncodedText([], [])], 0));
        Assert.Throws<ArgumentException>(() => new EncodedText([1, 2], [0]));
    }
}
