using System.Globalization;
using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>The WHATWG IPv6 parser (with an embedded IPv4 tail) and serializer (first longest zero run compressed).</summary>
internal static class UrlIPv6
{
    public static ushort[]? Parse(string input)
    {
        var address = new ushort[8];
        var pieceIndex = 0;
        int? compress = null;
        var pointer = 0;
        char At(int i) => i < input.Length ? input[i] : '\0';
        bool Eof(int i) => i >= input.Length;

        if (At(pointer) == ':')
        {
            if (At(pointer + 1) != ':')
            {
                return null;
            }

            pointer += 2;
            compress = ++pieceIndex;
        }

        while (!Eof(pointer))
        {
            if (pieceIndex == 8)
            {
                return null;
            }

            if (At(pointer) == ':')
            {
                if (compress is not null)
                {
                    return null;
                }

                pointer++;
                compress = ++pieceIndex;
                continue;
            }

            int value = 0, length = 0;
            while (length < 4 && !Eof(pointer) && PercentEncoding.IsHex(At(pointer)))
            {
                value = (value * 16) + PercentEncoding.HexValue(At(pointer));
                pointer++;
                length++;
            }

            if (At(pointer) == '.' && !Eof(pointer))
            {
                if (length == 0)
                {
                    return null;
                }

                pointer -= length;
                if (pieceIndex > 6)
                {
                    return null;
                }

                var numbersSeen = 0;
                while (!Eof(pointer))
                {
                    int? ipv4Piece = null;
                    if (numbersSeen > 0)
                    {
                        if (At(pointer) == '.' && numbersSeen < 4)
                        {
                            pointer++;
                        }
                        else
                        {
                            return null;
                        }
                    }

                    if (!char.IsAsciiDigit(At(pointer)) || Eof(pointer))
                    {
                        return null;
                    }

                    while (!Eof(pointer) && char.IsAsciiDigit(At(pointer)))
                    {
                        var number = At(pointer) - '0';
                        if (ipv4Piece is null)
                        {
                            ipv4Piece = number;
                        }
                        else if (ipv4Piece == 0)
                        {
                            return null;
                        }
                        else
                        {
                            ipv4Piece = (ipv4Piece * 10) + number;
                        }

                        if (ipv4Piece > 255)
                        {
                            return null;
                        }

                        pointer++;
                    }

                    address[pieceIndex] = (ushort)((address[pieceIndex] * 0x100) + ipv4Piece!.Value);
                    numbersSeen++;
                    if (numbersSeen is 2 or 4)
                    {
                        pieceIndex++;
                    }
                }

                if (numbersSeen != 4)
                {
                    return null;
                }

                break;
            }

            if (At(pointer) == ':' && !Eof(pointer))
            {
                pointer++;
                if (Eof(pointer))
                {
                    return null;
                }
            }
            else if (!Eof(pointer))
            {
                return null;
            }

            address[pieceIndex++] = (ushort)value;
        }

        if (compress is { } c)
        {
            var swaps = pieceIndex - c;
            pieceIndex = 7;
            while (pieceIndex != 0 && swaps > 0)
            {
                (address[pieceIndex], address[c + swaps - 1]) = (address[c + swaps - 1], address[pieceIndex]);
                pieceIndex--;
                swaps--;
            }
        }
        else if (pieceIndex != 8)
        {
            return null;
        }

        return address;
    }

    public static string Serialize(ushort[] address)
    {
        // The first longest run of two or more zero pieces is compressed.
        int bestStart = -1, bestLength = 1;
        for (var i = 0; i < 8;)
        {
            if (address[i] != 0)
            {
                i++;
                continue;
            }

            var j = i;
            while (j < 8 && address[j] == 0)
            {
                j++;
            }

            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j;
        }

        var output = new StringBuilder();
        var ignore0 = false;
        for (var i = 0; i < 8; i++)
        {
            if (ignore0 && address[i] == 0)
            {
                continue;
            }

            ignore0 = false;
            if (i == bestStart)
            {
                output.Append(i == 0 ? "::" : ":");
                ignore0 = true;
                continue;
            }

            output.Append(address[i].ToString("x", CultureInfo.InvariantCulture));
            if (i != 7)
            {
                output.Append(':');
            }
        }

        return output.ToString();
    }
}
