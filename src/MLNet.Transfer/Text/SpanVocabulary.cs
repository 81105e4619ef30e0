namespace MLNet.Transfer.Text;

/// <summary>
/// A read-only token → id table looked up by character span, for the tokenizer's inner loop (lookups dominate
/// WordPiece time). Open addressing over one array of 8-byte entries — 12 bits of hash, token length, offset of
/// the token's characters in one shared block, id — so a 30k-token vocabulary takes 512 KB and a lookup touches two
/// cache lines, where a <see cref="Dictionary{TKey, TValue}"/> of strings takes more than twice that and touches
/// three (bucket, entry, string object).
/// </summary>
internal sealed class SpanVocabulary
{
    /// <summary>Limits of the packed entry: longest token, largest id, total token characters.</summary>
    public const int MaxTokenLength = 255, MaxId = (1 << 20) - 1, MaxCharacters = (1 << 24) - 1;

    private readonly ulong[] _entries;
    private readonly char[] _characters;
    private readonly int _mask;

    private SpanVocabulary(ulong[] entries, char[] characters)
    {
        _entries = entries;
        _characters = characters;
        _mask = entries.Length - 1;
    }

    /// <summary>Builds the table from token → id pairs (no empty tokens), or returns null beyond the packing limits.</summary>
    public static SpanVocabulary? TryCreate(IReadOnlyDictionary<string, int> ids)
    {
        long characterCount = ids.Keys.Sum(k => (long)k.Length);
        if (characterCount > MaxCharacters || ids.Any(p => p.Key.Length is 0 or > MaxTokenLength || p.Value is < 0 or > MaxId))
            return null;
        int size = 16;
        while (size < ids.Count * 2)
            size *= 2;
        var entries = new ulong[size];
        var characters = new char[characterCount];
        int offset = 0;
        foreach (var (token, id) in ids)
        {
            token.CopyTo(characters.AsSpan(offset));
            uint hash = Hash(token);
            int slot = (int)hash & (size - 1);
            while (entries[slot] != 0)
                slot = (slot + 1) & (size - 1);
            entries[slot] = Pack(hash, token.Length, offset, id);
            offset += token.Length;
        }
        return new SpanVocabulary(entries, characters);
    }

    /// <summary>Finds the id of the token spelled by <paramref name="token"/>.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id)
    {
        uint hash = Hash(token);
        // Tag and length in the top 20 bits: one comparison rejects almost every other token.
        ulong key = Pack(hash, token.Length, 0, 0);
        var entries = _entries;
        for (int slot = (int)hash & _mask; ; slot = (slot + 1) & _mask)
        {
            ulong entry = entries[slot];
            if (entry == 0)
            {
                id = -1;
                return false;
            }
            if ((entry & 0xFFFFF000_00000000UL) == key
                && token.SequenceEqual(_characters.AsSpan((int)(entry >> 20) & MaxCharacters, token.Length)))
            {
                id = (int)(entry & MaxId);
                return true;
            }
        }
    }

    // Bits: 63..52 hash tag (12), 51..44 length (8), 43..20 offset (24), 19..0 id (20). Length ≥ 1, so no entry is 0.
    private static ulong Pack(uint hash, int length, int offset, int id) =>
        ((ulong)(hash >> 20) << 52) | ((ulong)length << 44) | ((ulong)offset << 20) | (uint)id;

    /// <summary>FNV-1a over the UTF-16 code units, folded so the low bits (the slot) and the top bits (the tag) both mix.</summary>
    private static uint Hash(ReadOnlySpan<char> token)
    {
        uint hash = 2166136261;
        foreach (char c in token)
            hash = (hash ^ c) * 16777619;
        return hash ^ (hash >> 15);
    }
}
