using System.Buffers;
using System.Globalization;
using System.Text;

namespace Herald.Protocol;

/// <summary>
/// The characters an id or an event type may not contain, as the Mercure 1.0 draft says: control characters (C0, DEL,
/// C1), format characters (Unicode category Cf: zero-width, bidirectional overrides, BOM, tags…), and unpaired
/// surrogates. They are invisible or ambiguous in logs and headers, and Kestrel refuses controls in a header, so an id
/// holding one could never be echoed in <c>Last-Event-ID</c>. Everything else, any script, emoji included, is allowed.
/// </summary>
internal static class FieldCharacters
{
    /// <summary>The index of the first forbidden character in <paramref name="value"/>, or -1.</summary>
    public static int IndexOfForbidden(ReadOnlySpan<char> value)
    {
        var index = 0;
        while (index < value.Length)
        {
            if (Rune.DecodeFromUtf16(value[index..], out var rune, out var consumed) != OperationStatus.Done || IsForbidden(rune))
            {
                return index;
            }

            index += consumed;
        }

        return -1;
    }

    /// <summary>True when a cursor or id holds none of them (a cursor that does is no id the hub ever stored).</summary>
    public static bool IsAllowed(ReadOnlySpan<char> value) => IndexOfForbidden(value) < 0;

    /// <summary>"control character U+0001 at index 3", for a one-line refusal; null when there is none.</summary>
    public static string? DescribeForbidden(string? value)
    {
        if (value is null || IndexOfForbidden(value) is not (>= 0 and var index))
        {
            return null;
        }

        var status = Rune.DecodeFromUtf16(value.AsSpan(index), out var rune, out _);
        var what = status != OperationStatus.Done
            ? $"unpaired surrogate U+{(int)value[index]:X4}"
            : Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format
                ? $"format character U+{rune.Value:X4}"
                : $"control character U+{rune.Value:X4}";
        return $"{what} at index {index}";
    }

    private static bool IsForbidden(Rune rune) =>
        rune.Value is < 0x20 or (>= 0x7F and <= 0x9F) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format;
}
