using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>Vector width a float kernel is instantiated with.</summary>
internal enum SimdWidth
{
    /// <summary><see cref="Vector{T}"/>: portable fallback.</summary>
    VectorT,

    /// <summary><see cref="Vector256{T}"/> with FMA.</summary>
    Vector256,

    /// <summary><see cref="Vector512{T}"/> (AVX-512 implies FMA).</summary>
    Vector512,
}

/// <summary>
/// The handful of float operations the kernels need, as static abstract members so that each kernel is compiled once per
/// vector type with every call inlined. Scalar <see cref="MulAdd(float, float, float)"/> is fused exactly when the vector one
/// is, so a value computed in a vector lane and the same value computed in a scalar tail are bit-identical.
/// </summary>
internal unsafe interface IFloatSimd<TVec>
    where TVec : struct
{
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(float* source);

    static abstract void Store(TVec value, float* destination);

    static abstract TVec Broadcast(float value);

    static abstract TVec MulAdd(TVec left, TVec right, TVec addend);

    static abstract TVec Add(TVec left, TVec right);

    static abstract TVec Subtract(TVec left, TVec right);

    static abstract float Sum(TVec value);

    static abstract float MulAdd(float left, float right, float addend);

    /// <summary>All-ones lanes where left &lt; right (false for NaN).</summary>
    static abstract TVec LessThan(TVec left, TVec right);

    /// <summary>Lanes of ifTrue where mask is set, else of ifFalse.</summary>
    static abstract TVec Select(TVec mask, TVec ifTrue, TVec ifFalse);
}

/// <summary>Which widths this process can run, and the one the public entry points use.</summary>
internal static class SimdSupport
{
    /// <summary>
    /// The widest accelerated width, used by the lane-per-centroid search (its cost does not grow with the width apart from
    /// padding the last block).
    /// </summary>
    public static SimdWidth Widest { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SimdWidth.Vector256
        : SimdWidth.VectorT;

    /// <summary>Dimension from which 512-bit dot-product kernels are preferred over 256-bit ones.</summary>
    private const int Vector512MinDimension = 512;

    /// <summary>
    /// The width for dot-product kernels over vectors of <paramref name="dimension"/> values. 256-bit FMA wherever available; 512-bit only for long
    /// vectors: each dot product ends in a horizontal sum and a scalar tail that grow with the width, and on cores that
    /// split 512-bit operations in two (AMD Zen 4) the wider width only pays once those costs are amortized.
    /// </summary>
    public static SimdWidth ForDimension(int dimension)
    {
        bool has512 = Vector512.IsHardwareAccelerated;
        bool has256 = Vector256.IsHardwareAccelerated && Fma.IsSupported;
        if (has512 && (!has256 || dimension >= Vector512MinDimension))
        {
            return SimdWidth.Vector512;
        }

        return has256 ? SimdWidth.Vector256 : SimdWidth.VectorT;
    }

    /// <summary>Whether kernels of <paramref name="width"/> run on this machine without software emulation.</summary>
    public static bool IsSupported(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => Vector512.IsHardwareAccelerated,
        SimdWidth.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };
}

internal readonly unsafe struct Simd512 : IFloatSimd<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
        Vector512.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float left, float right, float addend) => MathF.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> left, Vector512<float> right) => Vector512.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);
}

internal readonly unsafe struct Simd256 : IFloatSimd<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
        Vector256.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float left, float right, float addend) => MathF.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> left, Vector256<float> right) => Vector256.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);
}

internal readonly unsafe struct SimdVectorT : IFloatSimd<Vector<float>>
{
    // Without hardware FMA the fused forms fall back to slow software emulation, so use separate multiply and add. A property
    // of JIT-time constants (not a static readonly field) so that it folds even in methods compiled straight to full opts.
    private static bool Fused => Vector.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported);

    public static int Count => Vector<float>.Count;

    public static Vector<float> Zero => Vector<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(float* source) => Vector.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Broadcast(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> MulAdd(Vector<float> left, Vector<float> right, Vector<float> addend) =>
        Fused ? Vector.FusedMultiplyAdd(left, right, addend) : (left * right) + addend;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Add(Vector<float> left, Vector<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Subtract(Vector<float> left, Vector<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector<float> value) => Vector.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float left, float right, float addend) =>
        Fused ? MathF.FusedMultiplyAdd(left, right, addend) : (left * right) + addend;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> LessThan(Vector<float> left, Vector<float> right) => Vector.AsVectorSingle(Vector.LessThan(left, right));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Select(Vector<float> mask, Vector<float> ifTrue, Vector<float> ifFalse) => Vector.ConditionalSelect(mask, ifTrue, ifFalse);
}
