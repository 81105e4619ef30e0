using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Typed plumbing between ML.NET getters and <see cref="ColumnBatch"/> arrays: "fillers" copy the current input row's
/// value into a batch slot (deep copies, because ML.NET getters may reuse their buffers on the next row), and output
/// getters hand a slot's value to ML.NET.
/// </summary>
internal static class ColumnValues
{
    private const BindingFlags Static = BindingFlags.Static | BindingFlags.NonPublic;

    /// <summary>An action copying the current value of <paramref name="column"/> in <paramref name="row"/> into slot <c>i</c> of <paramref name="target"/>.</summary>
    internal static Action<int> CreateFiller(DataViewRow row, DataViewSchema.Column column, Array target)
    {
        Type raw = target.GetType().GetElementType()!;
        MethodInfo method = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(ColumnValues).GetMethod(nameof(VectorFiller), Static)!.MakeGenericMethod(raw.GetGenericArguments()[0])
            : typeof(ColumnValues).GetMethod(nameof(ScalarFiller), Static)!.MakeGenericMethod(raw);
        return (Action<int>)method.Invoke(null, new object[] { row, column, target })!;
    }

    /// <summary>A getter returning the value of slot <c>slot()</c> of <paramref name="source"/>.</summary>
    internal static ValueGetter<TValue> CreateGetter<TValue>(Array source, Func<int> slot, string columnName)
    {
        Type raw = source.GetType().GetElementType()!;
        if (typeof(TValue) != raw)
            throw new InvalidOperationException($"Invalid TValue in GetGetter for column '{columnName}': {typeof(TValue).Name}, expected {raw.Name}.");
        if (raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>))
        {
            MethodInfo method = typeof(ColumnValues).GetMethod(nameof(VectorGetter), Static)!.MakeGenericMethod(raw.GetGenericArguments()[0]);
            return (ValueGetter<TValue>)method.Invoke(null, new object[] { source, slot })!;
        }
        var values = (TValue[])source;
        return (ref TValue value) => value = values[slot()];
    }

    private static Action<int> ScalarFiller<T>(DataViewRow row, DataViewSchema.Column column, T[] target)
    {
        ValueGetter<T> getter = row.GetGetter<T>(column);
        if (typeof(T) == typeof(ReadOnlyMemory<char>))
        {
            // Text getters may point into a buffer the cursor reuses: keep a private copy.
            var textGetter = (ValueGetter<ReadOnlyMemory<char>>)(object)getter;
            var texts = (ReadOnlyMemory<char>[])(object)target;
            ReadOnlyMemory<char> scratch = default;
            return i =>
            {
                textGetter(ref scratch);
                texts[i] = scratch.IsEmpty ? ReadOnlyMemory<char>.Empty : scratch.ToArray();
            };
        }
        return i => getter(ref target[i]);
    }

    private static Action<int> VectorFiller<TItem>(DataViewRow row, DataViewSchema.Column column, VBuffer<TItem>[] target)
    {
        ValueGetter<VBuffer<TItem>> getter = row.GetGetter<VBuffer<TItem>>(column);
        VBuffer<TItem> scratch = default;
        return i =>
        {
            getter(ref scratch);
            scratch.CopyTo(ref target[i]);
        };
    }

    private static ValueGetter<VBuffer<TItem>> VectorGetter<TItem>(VBuffer<TItem>[] source, Func<int> slot) =>
        (ref VBuffer<TItem> value) => source[slot()].CopyTo(ref value);
}
