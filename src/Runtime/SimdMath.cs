using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// Small SIMD helpers that generated kernels call. Horizontal sums widen to double before adding, so a
/// vector of float partial sums loses no precision when it is folded into a double accumulator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SimdMath
{
    /// <summary>Sum of the lanes, added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector512<float> value)
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value);
        return Vector512.Sum(lower + upper);
    }

    /// <summary>Sum of the lanes, added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector256<float> value)
    {
        (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(value);
        return Vector256.Sum(lower + upper);
    }

    /// <summary>Sum of the lanes, added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector128<float> value)
    {
        (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(value);
        return Vector128.Sum(lower + upper);
    }

    /// <summary>
    /// A mask whose last <paramref name="count"/> lanes are set: selects the lanes of a vector loaded at
    /// <c>length - Count</c> that a preceding full-vector loop has not covered yet.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LastLanes512(int count) =>
        Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(Vector512<int>.Count - count)).AsSingle();

    /// <inheritdoc cref="LastLanes512"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LastLanes256(int count) =>
        Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(Vector256<int>.Count - count)).AsSingle();

    /// <inheritdoc cref="LastLanes512"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LastLanes128(int count) =>
        Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(Vector128<int>.Count - count)).AsSingle();
}
