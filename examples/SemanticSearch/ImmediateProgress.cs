namespace SemanticSearch;

/// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
public sealed class ImmediateProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => handler(value);
}
