// The LibTorch GLIBCXX fix, one source for both places that apply it (see LibTorchGlibcxxFix.targets):
// - the build: the MSBuild inline task at the end of this file (compiled by RoslynCodeTaskFactory) patches the output copy
//   of libLibTorchSharp.so after every build and publish;
// - the library at first use: MLNet.Transfer compiles this file (with MLNET_TRANSFER_LIBRARY defined, so without the task)
//   and patches a copy of the library in its own cache when the host never ran the build step (a notebook kernel, a script).
// libLibTorchSharp.so asks for one symbol at GLIBCXX_3.4.32, _ZSt21ios_base_library_initv, which has no relocations: the
// loader never looks it up, only the version check fails on an older libstdc++ (e.g. Debian 12). Marking that version
// requirement WEAK (VER_FLG_WEAK in .gnu.version_r) lets the library load. Kept to C# any MSBuild task compiler accepts.
#nullable disable
using System;
using System.IO;
using System.Text;

namespace MLNet.Transfer.Runtime
{
    /// <summary>Reads and weakens one GLIBCXX version requirement of an ELF64 shared library.</summary>
    internal static class GlibcxxVersionRequirement
    {
        /// <summary>The version libLibTorchSharp.so asks for and older distributions lack.</summary>
        public const string LibTorchSharpVersion = "GLIBCXX_3.4.32";

        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        private static readonly string[] LibStdCxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        };

        /// <summary>Whether the system libstdc++ defines <paramref name="versionName"/> (then no patch is needed).</summary>
        public static bool SystemHasVersion(string versionName)
        {
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            foreach (string candidate in LibStdCxxCandidates)
            {
                if (!File.Exists(candidate)) continue;
                return Contains(File.ReadAllBytes(candidate), needle);
            }
            return false;
        }

        /// <summary>
        /// Marks every requirement of <paramref name="versionName"/> in <paramref name="elf"/> weak, in place. Returns the
        /// number of entries newly marked (0: already weak or no such requirement), or -1 when it is not ELF64 little-endian.
        /// </summary>
        public static int Weaken(byte[] elf, string versionName)
        {
            byte[] f = elf;
            if (f.Length < 64 || f[0] != 0x7f || f[1] != (byte)'E' || f[2] != (byte)'L' || f[3] != (byte)'F' || f[4] != 2 || f[5] != 1) return -1;
            long shoff = BitConverter.ToInt64(f, 0x28);
            int shentsize = BitConverter.ToUInt16(f, 0x3A), shnum = BitConverter.ToUInt16(f, 0x3C);
            int changed = 0;
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (BitConverter.ToUInt32(f, (int)sh + 4) != ShtGnuVerneed) continue;
                long offset = BitConverter.ToInt64(f, (int)sh + 0x18);
                int link = (int)BitConverter.ToUInt32(f, (int)sh + 0x28);
                int count = (int)BitConverter.ToUInt32(f, (int)sh + 0x2C);
                long strtab = BitConverter.ToInt64(f, (int)(shoff + (long)link * shentsize) + 0x18);
                long vn = offset;
                for (int n = 0; n < count; n++)
                {
                    int auxCount = BitConverter.ToUInt16(f, (int)vn + 2);
                    long aux = vn + BitConverter.ToUInt32(f, (int)vn + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        long nameOffset = strtab + BitConverter.ToUInt32(f, (int)aux + 8);
                        if (ReadCString(f, nameOffset) == versionName)
                        {
                            ushort flags = BitConverter.ToUInt16(f, (int)aux + 4);
                            if ((flags & VerFlagWeak) == 0)
                            {
                                flags |= VerFlagWeak;
                                f[aux + 4] = (byte)flags; f[aux + 5] = (byte)(flags >> 8);
                                changed++;
                            }
                        }
                        aux += BitConverter.ToUInt32(f, (int)aux + 12);
                    }
                    vn += BitConverter.ToUInt32(f, (int)vn + 12);
                }
            }
            return changed;
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                if (haystack[i] != needle[0]) continue;
                int j = 1;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        private static string ReadCString(byte[] f, long start)
        {
            long end = start;
            while (end < f.Length && f[end] != 0) end++;
            return Encoding.ASCII.GetString(f, (int)start, (int)(end - start));
        }
    }
}

#if !MLNET_TRANSFER_LIBRARY
/// <summary>The build step: patches every libLibTorchSharp.so under <see cref="Directory"/> in place (the output copy).</summary>
public class MLNetTransferWeakenGlibcxxVersion : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required] public string Directory { get; set; }
    [Microsoft.Build.Framework.Required] public string VersionName { get; set; }

    public override bool Execute()
    {
        // Top level with a RuntimeIdentifier; runtimes/<rid>/native/ (and TorchSharp's cpu/ copy) without one.
        string[] libs = System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories)
            : new string[0];
        if (libs.Length == 0) return true;
        if (MLNet.Transfer.Runtime.GlibcxxVersionRequirement.SystemHasVersion(VersionName))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "System libstdc++ has " + VersionName + "; no patch needed.");
            return true;
        }
        foreach (string lib in libs)
            Patch(lib);
        return true;
    }

    private void Patch(string lib)
    {
        try
        {
            byte[] elf = File.ReadAllBytes(lib);
            int changed = MLNet.Transfer.Runtime.GlibcxxVersionRequirement.Weaken(elf, VersionName);
            if (changed < 0) { Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, lib + ": not ELF64 little-endian, skipped."); return; }
            if (changed == 0) return; // already patched or no such requirement
            // Copy keeps the file mode; then write the patched bytes and swap atomically.
            string tmp = lib + ".patch-tmp";
            File.Copy(lib, tmp, true);
            File.WriteAllBytes(tmp, elf);
            File.Replace(tmp, lib, null);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Marked " + VersionName + " weak in " + lib + " (system libstdc++ lacks it).");
        }
        catch (Exception e)
        {
            Log.LogWarning("Could not patch " + lib + ": " + e.Message);
        }
    }
}
#endif
