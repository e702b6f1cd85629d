// Build-time task (compiled by MSBuild's RoslynCodeTaskFactory, not part of any project).
// Marks one version need of an ELF64 little-endian shared object weak, in place by rename.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenGlibcxxNeed : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        if (SystemLibstdcxxHas(Version))
        {
            Log.LogMessage(MessageImportance.Low, "System libstdc++ provides " + Version + "; nothing to patch.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                PatchFile(path);
            }
            catch (Exception e)
            {
                Log.LogError("Could not patch " + path + ": " + e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool SystemLibstdcxxHas(string version)
    {
        string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                          "/usr/lib/aarch64-linux-gnu", "/usr/lib" };
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string dir in dirs)
        {
            string lib = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(lib) && IndexOf(File.ReadAllBytes(lib), needle) >= 0)
                return true;
        }
        return false;
    }

    private void PatchFile(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");

        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        bool changed = false, found = false;
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToUInt64(elf, checked((int)shoff + link * shentsize) + 0x18));
            int need = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int j = 0; j < count; j++)
                {
                    string name = CString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (name == Version)
                    {
                        found = true;
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                            changed = true;
                        }
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                uint next = BitConverter.ToUInt32(elf, need + 12);
                if (next == 0) break;
                need += (int)next;
            }
        }
        if (!found)
        {
            Log.LogMessage(MessageImportance.Low, path + " does not need " + Version + ".");
            return;
        }
        if (!changed)
        {
            Log.LogMessage(MessageImportance.Low, path + ": " + Version + " already weak.");
            return;
        }
        DateTime stamp = File.GetLastWriteTimeUtc(path);
        string temp = path + ".weblab-patch";
        File.WriteAllBytes(temp, elf);
        File.SetLastWriteTimeUtc(temp, stamp);
        File.Replace(temp, path, null); // rename over: never writes through a hard link
        Log.LogMessage(MessageImportance.High, "Marked " + Version + " weak in " + path);
    }

    private static string CString(byte[] bytes, int start)
    {
        int end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int k = 0;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return i;
        }
        return -1;
    }
}
