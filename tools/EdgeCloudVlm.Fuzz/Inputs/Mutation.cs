using System.Buffers.Binary;

namespace EdgeCloudVlm.Fuzz.Inputs;

/// <summary>The kinds of change a mutation makes, in the spirit of AFL's havoc stage.</summary>
public enum MutationKind
{
    /// <summary>Flip one bit.</summary>
    FlipBit,

    /// <summary>Set one byte.</summary>
    SetByte,

    /// <summary>Set a byte to an interesting value (0, 0x7F, 0x80, 0xFF).</summary>
    InterestingByte,

    /// <summary>Write an interesting 32-bit value (0, -1, int.MaxValue, 0x10000, ...).</summary>
    InterestingInt32,

    /// <summary>Cut the input short.</summary>
    Truncate,

    /// <summary>Remove a run of bytes.</summary>
    Delete,

    /// <summary>Insert a run of copies of a byte.</summary>
    Insert,

    /// <summary>Copy a run of the input over another place.</summary>
    CopyWithin,
}

/// <summary>One change to an input; positions and lengths are reduced modulo the input's length when applied.</summary>
public readonly record struct Mutation(MutationKind Kind, uint Position, uint Length, byte Value)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF];
    private static readonly int[] InterestingInts = [0, -1, 1, int.MaxValue, int.MinValue, 0x10000, 0xFFFF, 0x00FFFFFF, 0x7FFF];

    /// <summary>Applies <paramref name="mutations"/> to a copy of <paramref name="seed"/>.</summary>
    public static byte[] Apply(ReadOnlySpan<byte> seed, IEnumerable<Mutation> mutations)
    {
        ArgumentNullException.ThrowIfNull(mutations);
        var data = new List<byte>(seed.Length + 16);
        foreach (byte b in seed)
        {
            data.Add(b);
        }

        foreach (Mutation m in mutations)
        {
            m.ApplyTo(data);
        }

        return [.. data];
    }

    private void ApplyTo(List<byte> data)
    {
        int count = data.Count;
        int at = count == 0 ? 0 : (int)(Position % (uint)count);
        int run = (int)(Length % 64) + 1;
        switch (Kind)
        {
            case MutationKind.FlipBit when count > 0:
                data[at] ^= (byte)(1 << (Value & 7));
                break;
            case MutationKind.SetByte when count > 0:
                data[at] = Value;
                break;
            case MutationKind.InterestingByte when count > 0:
                data[at] = InterestingBytes[Value % InterestingBytes.Length];
                break;
            case MutationKind.InterestingInt32 when count >= 4:
            {
                Span<byte> bytes = stackalloc byte[4];
                int value = InterestingInts[Value % InterestingInts.Length];
                if ((Value & 0x80) != 0)
                {
                    BinaryPrimitives.WriteInt32BigEndian(bytes, value);
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
                }

                at = Math.Min(at, count - 4);
                for (int i = 0; i < 4; i++)
                {
                    data[at + i] = bytes[i];
                }

                break;
            }

            case MutationKind.Truncate:
                data.RemoveRange(at, count - at);
                break;
            case MutationKind.Delete when count > 0:
                data.RemoveRange(at, Math.Min(run, count - at));
                break;
            case MutationKind.Insert:
                data.InsertRange(at, Enumerable.Repeat(Value, run));
                break;
            case MutationKind.CopyWithin when count > 1:
            {
                int from = (int)(Length % (uint)count);
                int length = Math.Min(run, Math.Min(count - from, count - at));
                byte[] copy = data.GetRange(from, length).ToArray();
                for (int i = 0; i < copy.Length; i++)
                {
                    data[at + i] = copy[i];
                }

                break;
            }
        }
    }
}
