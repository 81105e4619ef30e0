namespace MLNet.Transfer.MLNetIntegration;

/// <summary>A persisted MLNet.Transfer component is corrupt or inconsistent; the message names the component and zip entry.</summary>
internal sealed class ModelFormatException : FormatException
{
    internal ModelFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
