using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace MLNet.Transfer.Checkpoints;

/// <summary>Where one embedded manifest resource's bytes lie inside a .NET assembly file.</summary>
/// <param name="Name">Full manifest resource name.</param>
/// <param name="FileOffset">Offset of the first data byte in the file (after the 4-byte length prefix).</param>
/// <param name="Length">Number of data bytes.</param>
internal readonly record struct ManagedResourceLocation(string Name, long FileOffset, int Length);

/// <summary>
/// Finds embedded manifest resources in a .NET assembly file with System.Reflection.Metadata,
/// without loading the assembly. Each embedded resource is stored in the CLI resources directory
/// as a 4-byte little-endian length followed by the bytes.
/// </summary>
internal static class ManagedResourceLocator
{
    /// <summary>Locates the embedded resources whose names end with each of <paramref name="nameSuffixes"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly, a resource is missing or its bounds are wrong.</exception>
    public static ManagedResourceLocation[] Locate(string assemblyPath, params string[] nameSuffixes)
    {
        using var file = File.OpenRead(assemblyPath);
        long fileLength = file.Length;
        using var pe = new PEReader(file, PEStreamOptions.LeaveOpen);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
            throw new InvalidDataException($"'{assemblyPath}' is not a .NET assembly (no CLI header).");
        var resourcesDirectory = pe.PEHeaders.CorHeader.ResourcesDirectory;
        if (resourcesDirectory.Size == 0 || !pe.PEHeaders.TryGetDirectoryOffset(resourcesDirectory, out int directoryOffset))
            throw new InvalidDataException($"'{assemblyPath}' has no embedded resources.");

        var metadata = pe.GetMetadataReader();
        var result = new ManagedResourceLocation[nameSuffixes.Length];
        Span<byte> prefix = stackalloc byte[4];
        for (int i = 0; i < nameSuffixes.Length; i++)
        {
            ManifestResource? found = null;
            string? foundName = null;
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                string name = metadata.GetString(resource.Name);
                if (resource.Implementation.IsNil && name.EndsWith(nameSuffixes[i], StringComparison.Ordinal))
                {
                    found = resource;
                    foundName = name;
                    break;
                }
            }
            if (found is null || foundName is null)
                throw new InvalidDataException($"'{assemblyPath}' has no embedded resource ending with '{nameSuffixes[i]}'.");

            long relative = found.Value.Offset;
            if (relative < 0 || relative + 4 > resourcesDirectory.Size)
                throw new InvalidDataException($"Resource '{foundName}' in '{assemblyPath}' lies outside the resources directory.");
            long start = directoryOffset + relative;
            if (RandomAccess.Read(file.SafeFileHandle, prefix, start) != 4)
                throw new InvalidDataException($"'{assemblyPath}' is truncated at resource '{foundName}'.");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            if (relative + 4 + length > resourcesDirectory.Size || start + 4 + length > fileLength || length > int.MaxValue)
                throw new InvalidDataException(
                    $"Resource '{foundName}' in '{assemblyPath}' claims {length} bytes, more than the file holds.");
            result[i] = new ManagedResourceLocation(foundName, start + 4, (int)length);
        }
        return result;
    }
}
