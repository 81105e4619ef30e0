using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>
/// Test-only transformer: maps a Single column x to a Vector&lt;Single, N&gt; column (x·f₀, …, x·fₙ₋₁), with the N
/// factors (N known only at run time) saved as a separate binary stream. Optionally carries a "ballast" stream of
/// deterministic bytes to measure large payloads without holding them in memory.
/// </summary>
public sealed class ScaleTransformer : BatchedTransformerBase, IPersistableModel<ScaleTransformer>
{
    internal const string FactorsStream = "Factors.bin";
    internal const string BallastStream = "Ballast.bin";
    private readonly float[] _factors;
    private int _batches;

    public ScaleTransformer(string inputColumn, string outputColumn, float[] factors, int batchSize = 3, long ballastBytes = 0)
        : base(
            new[] { new BatchInputColumn(inputColumn, NumberDataViewType.Single) },
            new[] { new BatchOutputColumn(outputColumn, new VectorDataViewType(NumberDataViewType.Single, factors.Length)) },
            batchSize)
    {
        _factors = factors.ToArray();
        BallastBytes = ballastBytes;
    }

    public static PersistedModelInfo ModelInfo { get; } = new("MLNTSCAL", "MLNetTransferTestScale", 3, 2, 1);

    public IReadOnlyList<float> Factors => _factors;

    public long BallastBytes { get; }

    /// <summary>Number of <see cref="ComputeBatch"/> calls so far.</summary>
    public int BatchesComputed => Volatile.Read(ref _batches);

    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        Interlocked.Increment(ref _batches);
        ReadOnlySpan<float> x = batch.Input<float>(0);
        Span<VBuffer<float>> y = batch.Output<VBuffer<float>>(0);
        for (int i = 0; i < batch.RowCount; i++)
        {
            VBufferEditor<float> editor = VBufferEditor.Create(ref y[i], _factors.Length);
            for (int k = 0; k < _factors.Length; k++)
                editor.Values[k] = x[i] * _factors[k];
            y[i] = editor.Commit();
        }
    }

    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<ScaleTransformer>(ctx, model =>
    {
        model.Writer.Write(InputColumns[0].Name);
        model.Writer.Write(OutputColumns[0].Name);
        model.Writer.Write(BatchSize);
        model.Writer.Write(_factors.Length);
        model.Writer.Write(BallastBytes);
        model.WriteStream(FactorsStream, stream => stream.Write(MemoryMarshal.AsBytes(_factors.AsSpan())));
        if (BallastBytes > 0)
            model.WriteStream(BallastStream, stream => Ballast.Write(stream, BallastBytes));
    });

    public static ScaleTransformer Load(PersistedModelReader model)
    {
        string input = model.Reader.ReadString();
        string output = model.Reader.ReadString();
        int batchSize = model.Reader.ReadInt32();
        int count = model.Reader.ReadInt32();
        long ballast = model.Reader.ReadInt64();
        float[] factors = model.ReadStream(FactorsStream, stream =>
        {
            var values = new float[count];
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        });
        if (ballast > 0)
            model.ReadStream(BallastStream, stream => Ballast.Verify(stream, ballast));
        return new ScaleTransformer(input, output, factors, batchSize, ballast);
    }

    /// <summary>Deterministic, poorly compressible bytes written and checked in 1 MB chunks.</summary>
    internal static class Ballast
    {
        private const int Chunk = 1 << 20;

        internal static void Write(Stream stream, long length)
        {
            var buffer = new byte[Chunk];
            for (long done = 0, chunk = 0; done < length; chunk++)
            {
                Fill(buffer, chunk);
                int n = (int)Math.Min(Chunk, length - done);
                stream.Write(buffer, 0, n);
                done += n;
            }
        }

        internal static void Verify(Stream stream, long length)
        {
            var expected = new byte[Chunk];
            var actual = new byte[Chunk];
            for (long done = 0, chunk = 0; done < length; chunk++)
            {
                Fill(expected, chunk);
                int n = (int)Math.Min(Chunk, length - done);
                stream.ReadExactly(actual, 0, n);
                if (!actual.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)))
                    throw new InvalidDataException($"Ballast differs in chunk {chunk}.");
                done += n;
            }
        }

        private static void Fill(byte[] buffer, long chunk) => new Random(unchecked((int)chunk * 7919 + 17)).NextBytes(buffer);
    }
}
