using System.Buffers.Binary;
using System.IO.Hashing;
using CsCheck;

namespace EdgeCloudVlm.Fuzz.Inputs;

/// <summary>
/// Image files whose headers declare any width and height (including zero, negative and enormous: the decompression
/// bombs the pixel limit exists for) in every format the preprocessor reads, plus GIF and TIFF, which it does not.
/// The rest of the file is random bytes.
/// </summary>
public static class ImageHeaders
{
    /// <summary>Generator of such files.</summary>
    public static Gen<byte[]> Generator { get; } = Gen.Select(
        Gen.Int[0, 5],
        Gen.Frequency((2, Gen.Int[0, 5000]), (1, Gen.Int)),
        Gen.Frequency((2, Gen.Int[0, 5000]), (1, Gen.Int)),
        Gen.Byte.Array[0, 96],
        (format, width, height, tail) => format switch
        {
            0 => Png(width, height, tail),
            1 => Jpeg(width, height, tail),
            2 => Bmp(width, height, tail),
            3 => WebP(width, height, tail),
            4 => [.. "GIF89a"u8.ToArray(), (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), .. tail],
            _ => [.. "II*\0"u8.ToArray(), .. tail],
        });

    /// <summary>Signature and an IHDR chunk with a correct CRC, then the tail as if it were IDAT.</summary>
    public static byte[] Png(int width, int height, byte[] tail)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var file = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8;
        ihdr[13] = 2;
        AddChunk(file, ihdr);
        var idat = new byte[4 + tail.Length];
        "IDAT"u8.CopyTo(idat);
        tail.CopyTo(idat, 4);
        AddChunk(file, idat);
        return [.. file];
    }

    /// <summary>SOI and a baseline SOF0 with the given size, then the tail.</summary>
    public static byte[] Jpeg(int width, int height, byte[] tail)
    {
        ArgumentNullException.ThrowIfNull(tail);
        byte[] head =
        [
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08,
            (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width,
            0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ];
        return [.. head, .. tail];
    }

    /// <summary>BITMAPFILEHEADER and a BITMAPINFOHEADER (24 bits, signed height: negative means top-down).</summary>
    public static byte[] Bmp(int width, int height, byte[] tail)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var head = new byte[54];
        head[0] = (byte)'B';
        head[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(2), 54 + tail.Length);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(28), 24);
        return [.. head, .. tail];
    }

    /// <summary>RIFF/WEBP with a VP8X chunk whose 24-bit canvas size is given (minus one, as the format stores it).</summary>
    public static byte[] WebP(int width, int height, byte[] tail)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteInt32LittleEndian(vp8x.AsSpan(4), 10);
        WriteUInt24(vp8x.AsSpan(12), width - 1);
        WriteUInt24(vp8x.AsSpan(15), height - 1);
        var file = new List<byte>();
        file.AddRange("RIFF"u8.ToArray());
        file.AddRange(BitConverter.GetBytes(4 + vp8x.Length + tail.Length));
        file.AddRange("WEBP"u8.ToArray());
        file.AddRange(vp8x);
        file.AddRange(tail);
        return [.. file];
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)value;
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)(value >> 16);
    }

    private static void AddChunk(List<byte> file, byte[] typeAndData)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, typeAndData.Length - 4);
        file.AddRange(length);
        file.AddRange(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        file.AddRange(crc);
    }
}
