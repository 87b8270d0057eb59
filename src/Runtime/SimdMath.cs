using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormGen;

/// <summary>
/// Small SIMD helpers that generated kernels call. Horizontal sums widen to double before adding, so a
/// vector of float partial sums loses no precision when it is folded into a double accumulator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SimdMath
{
    /// <summary>
    /// Name of the environment variable that pins the vector width of generated kernels: <c>512</c>, <c>256</c>,
    /// <c>128</c> or <c>0</c> (scalar). Unset, kernels use the widest width the hardware accelerates. A pinned width
    /// wider than the hardware's runs software-emulated: slow, but it lets tests cover every path on any machine.
    /// </summary>
    public const string VectorWidthVariable = "NORMGEN_VECTOR_WIDTH";

    private static readonly int PinnedWidth = ReadPinnedWidth();

    /// <summary>Generated kernels take their Vector512 path. A static readonly value: tiered JIT folds it to a constant.</summary>
    public static readonly bool Use512 = PinnedWidth < 0 ? Vector512.IsHardwareAccelerated : PinnedWidth == 512;

    /// <summary>Generated kernels take their Vector256 path (when not <see cref="Use512"/>).</summary>
    public static readonly bool Use256 = PinnedWidth < 0 ? Vector256.IsHardwareAccelerated : PinnedWidth == 256;

    /// <summary>Generated kernels take their Vector128 path (when neither wider path is used).</summary>
    public static readonly bool Use128 = PinnedWidth < 0 ? Vector128.IsHardwareAccelerated : PinnedWidth == 128;

    private static int ReadPinnedWidth()
    {
        string? text = System.Environment.GetEnvironmentVariable(VectorWidthVariable);
        if (string.IsNullOrEmpty(text))
        {
            return -1;
        }

        return text switch
        {
            "512" => 512,
            "256" => 256,
            "128" => 128,
            "0" => 0,
            _ => throw new System.InvalidOperationException($"{VectorWidthVariable} must be 512, 256, 128 or 0, but it is '{text}'."),
        };
    }

    /// <summary>
    /// The mean of the 16 floats from <paramref name="start"/>, added in double on the widest enabled vectors: the shift
    /// estimate of the per-sample layers' one-pass statistics, inlined where a <c>TensorPrimitives.Sum</c> call per slot
    /// cost a call, a span and a dispatch. An Inf or NaN among them gives a non-finite mean.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Mean16(ref float start)
    {
        if (Use512)
        {
            return (float)(SumToDouble(Vector512.LoadUnsafe(ref start)) / 16);
        }

        if (Use256)
        {
            return (float)((SumToDouble(Vector256.LoadUnsafe(ref start)) + SumToDouble(Vector256.LoadUnsafe(ref start, 8))) / 16);
        }

        double sum = 0;
        for (nuint i = 0; i < 16; i++)
        {
            sum += Unsafe.Add(ref start, i);
        }

        return (float)(sum / 16);
    }

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

    /// <summary>
    /// A mask whose first <paramref name="count"/> lanes are set: selects the lanes of a vector loaded at 0 that precede
    /// the first aligned vector of a loop that starts <paramref name="count"/> elements in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes512(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <inheritdoc cref="FirstLanes512"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FirstLanes256(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <inheritdoc cref="FirstLanes512"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FirstLanes128(int count) =>
        Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();

    /// <summary>
    /// Asks the CPU to bring the cache line holding <c>start[index]</c> into L1 (<c>prefetcht0</c>; nothing where SSE is
    /// not available). Per-sample kernels call it on the output row while they reduce the input row, so the stores of the
    /// following element-wise pass hit lines already in L1 instead of each waiting for a read-for-ownership from memory.
    /// A hint only: it never faults, and the address need not stay valid (a GC may move the array meanwhile).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref float start, nuint index)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref start, index)));
        }
    }

    /// <summary>
    /// Stores <paramref name="value"/> at <c>destination[index]</c> with a non-temporal (streaming) store where the CPU
    /// has one (<c>vmovntps</c>) and the address is 64-byte aligned, else with a plain store (so a misaligned address,
    /// e.g. of an array the GC moved since its alignment was computed, costs speed, never a fault). A streaming store
    /// writes the line to memory without first reading it (no read-for-ownership) and without evicting other data from
    /// the cache; it is for outputs of tensors too large to be read again from the cache. The destination is pinned for
    /// the store (<c>fixed</c>, inlined: it cannot move between the check and the store); streaming stores are weakly
    /// ordered, so a pass that uses them ends with <see cref="StreamingFence"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStreaming(Vector512<float> value, ref float destination, nuint index)
    {
        fixed (float* p = &destination)
        {
            float* at = p + index;
            if (Avx512F.IsSupported && ((nuint)at & 63) == 0)
            {
                Avx512F.StoreAlignedNonTemporal(at, value);
            }
            else
            {
                value.Store(at);
            }
        }
    }

    /// <summary>
    /// Four consecutive <see cref="StoreStreaming(Vector512{float}, ref float, nuint)"/> at <c>destination[index]</c>,
    /// <c>[index + 16]</c>, <c>[index + 32]</c> and <c>[index + 48]</c>, with one pin and one alignment check for the
    /// four (pinning costs two stack stores: once per 256 bytes, not per 64).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStreaming(Vector512<float> value0, Vector512<float> value1, Vector512<float> value2, Vector512<float> value3, ref float destination, nuint index)
    {
        fixed (float* p = &destination)
        {
            float* at = p + index;
            if (Avx512F.IsSupported && ((nuint)at & 63) == 0)
            {
                Avx512F.StoreAlignedNonTemporal(at, value0);
                Avx512F.StoreAlignedNonTemporal(at + 16, value1);
                Avx512F.StoreAlignedNonTemporal(at + 32, value2);
                Avx512F.StoreAlignedNonTemporal(at + 48, value3);
            }
            else
            {
                value0.Store(at);
                value1.Store(at + 16);
                value2.Store(at + 32);
                value3.Store(at + 48);
            }
        }
    }

    /// <summary>
    /// The Vector256 form of <see cref="StoreStreaming(Vector512{float}, ref float, nuint)"/>: a non-temporal store of
    /// <paramref name="value"/> at <c>destination[index]</c> where that address is 32-byte aligned and AVX is available
    /// (half a cache line; the Vector256 streaming kernels store both halves of every line between a sample's ends), a
    /// plain store otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStreaming(Vector256<float> value, ref float destination, nuint index)
    {
        fixed (float* p = &destination)
        {
            float* at = p + index;
            if (Avx.IsSupported && ((nuint)at & 31) == 0)
            {
                Avx.StoreAlignedNonTemporal(at, value);
            }
            else
            {
                value.Store(at);
            }
        }
    }

    /// <summary>Four consecutive <see cref="StoreStreaming(Vector256{float}, ref float, nuint)"/> (two cache lines), with one pin and one alignment check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStreaming(Vector256<float> value0, Vector256<float> value1, Vector256<float> value2, Vector256<float> value3, ref float destination, nuint index)
    {
        fixed (float* p = &destination)
        {
            float* at = p + index;
            if (Avx.IsSupported && ((nuint)at & 31) == 0)
            {
                Avx.StoreAlignedNonTemporal(at, value0);
                Avx.StoreAlignedNonTemporal(at + 8, value1);
                Avx.StoreAlignedNonTemporal(at + 16, value2);
                Avx.StoreAlignedNonTemporal(at + 24, value3);
            }
            else
            {
                value0.Store(at);
                value1.Store(at + 8);
                value2.Store(at + 16);
                value3.Store(at + 24);
            }
        }
    }

    /// <summary>
    /// The Vector256 form of <see cref="Join(Vector512{float}, Vector512{float}, Vector512{int})"/>: the 8 floats that start
    /// <c>skew</c> lanes into <paramref name="lower"/> and continue into <paramref name="upper"/>, for
    /// <paramref name="indices"/> = <see cref="JoinIndices256"/>(skew). Two one-source permutes and a blend (AVX2 has no
    /// two-source permute).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Join(Vector256<float> lower, Vector256<float> upper, Vector256<int> indices)
    {
        Vector256<int> lane = indices & Vector256.Create(7);
        Vector256<float> fromLower = Vector256.LessThan(indices, Vector256.Create(8)).AsSingle();
        return Vector256.ConditionalSelect(fromLower, Permute(lower, lane), Permute(upper, lane));
    }

    /// <summary>The permute indices of <see cref="Join(Vector256{float}, Vector256{float}, Vector256{int})"/> for <paramref name="skew"/> (0 to 7): skew, ..., skew + 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> JoinIndices256(nuint skew) => Vector256<int>.Indices + Vector256.Create((int)skew);

    /// <summary>
    /// Lane <c>l</c> is <c>value[indices[l]]</c> (indices 0 to 7): the one-source permute of the Vector256 permuted
    /// kernels, <c>vpermps</c> (<see cref="Avx2.PermuteVar8x32(Vector256{float}, Vector256{int})"/>) where AVX2 is
    /// available, <see cref="Vector256.Shuffle(Vector256{float}, Vector256{int})"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Permute(Vector256<float> value, Vector256<int> indices) =>
        Avx2.IsSupported ? Avx2.PermuteVar8x32(value, indices) : Vector256.Shuffle(value, indices);

    /// <summary>
    /// The 16 floats that start <c>skew</c> lanes into <paramref name="lower"/> and continue into
    /// <paramref name="upper"/>: lane <c>l</c> is <c>lower[skew + l]</c> while <c>skew + l &lt; 16</c>, else
    /// <c>upper[skew + l - 16]</c>, for <paramref name="indices"/> = <see cref="JoinIndices"/>(skew). Kernels whose
    /// vectors follow the start of a sample rather than the cache lines form each aligned line of their output from two
    /// neighbouring vectors this way, for <see cref="StoreStreaming(Vector512{float}, ref float, nuint)"/>. One
    /// two-source permute (<c>vpermt2ps</c>) where AVX-512 is available, <see cref="JoinSoftware"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Join(Vector512<float> lower, Vector512<float> upper, Vector512<int> indices) =>
        Avx512F.IsSupported ? Avx512F.PermuteVar16x32x2(lower, indices, upper) : JoinSoftware(lower, upper, indices);

    /// <summary>The permute indices of <see cref="Join(Vector512{float}, Vector512{float}, Vector512{int})"/> for <paramref name="skew"/> (0 to 15): skew, ..., skew + 15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> JoinIndices(nuint skew) => Vector512<int>.Indices + Vector512.Create((int)skew);

    /// <summary>
    /// The sums of neighbouring lanes of <paramref name="a"/> and then of <paramref name="b"/>: lane <c>l</c> is
    /// <c>a[2l] + a[2l + 1]</c> for <c>l &lt; 8</c>, else <c>b[2l - 16] + b[2l - 15]</c>. Applied to 16 vectors in pairs,
    /// then to the 8 results in pairs, and so on, it reduces 16 vectors to one vector of their 16 lane sums in order,
    /// with 15 additions of whole vectors (the per-channel sums of the segment kernels). Two <see cref="Join(Vector512{float}, Vector512{float}, Vector512{int})"/>s and an add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PairwiseSums(Vector512<float> a, Vector512<float> b) =>
        Join(a, b, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30))
        + Join(a, b, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));

    /// <summary>
    /// The Vector256 form of <see cref="PairwiseSums(Vector512{float}, Vector512{float})"/>: lane <c>l</c> is
    /// <c>a[2l] + a[2l + 1]</c> for <c>l &lt; 4</c>, else <c>b[2l - 8] + b[2l - 7]</c>; three levels reduce 8 vectors to
    /// one vector of their 8 lane sums in order. <c>vhaddps</c> and a cross-lane permute of 64-bit pairs where AVX2 is
    /// available (the same sums, each of two floats, in the same lanes), shuffles otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PairwiseSums(Vector256<float> a, Vector256<float> b)
    {
        if (Avx2.IsSupported)
        {
            // hadd: [a0+a1, a2+a3, b0+b1, b2+b3, a4+a5, a6+a7, b4+b5, b6+b7]; 64-bit pairs 0, 2, 1, 3 put a's before b's.
            return Avx2.Permute4x64(Avx.HorizontalAdd(a, b).AsDouble(), 0b11_01_10_00).AsSingle();
        }

        return PairwiseSumsSoftware(a, b);
    }

    /// <summary><see cref="PairwiseSums(Vector256{float}, Vector256{float})"/> without AVX2 (internal so that tests compare the two).</summary>
    internal static Vector256<float> PairwiseSumsSoftware(Vector256<float> a, Vector256<float> b)
    {
        Vector256<int> even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6), odd = Vector256.Create(1, 3, 5, 7, 1, 3, 5, 7);
        Vector256<float> fromA = Vector256.Shuffle(a, even) + Vector256.Shuffle(a, odd);
        Vector256<float> fromB = Vector256.Shuffle(b, even) + Vector256.Shuffle(b, odd);
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(4)).AsSingle(), fromA, fromB);
    }

    /// <summary><see cref="Join(Vector512{float}, Vector512{float}, Vector512{int})"/> without AVX-512: two one-source shuffles and a select (internal so that tests compare it with the permute).</summary>
    internal static Vector512<float> JoinSoftware(Vector512<float> lower, Vector512<float> upper, Vector512<int> indices)
    {
        Vector512<int> lane = indices & Vector512.Create(15);
        Vector512<float> fromLower = Vector512.LessThan(indices, Vector512.Create(16)).AsSingle();
        return Vector512.ConditionalSelect(fromLower, Vector512.Shuffle(lower, lane), Vector512.Shuffle(upper, lane));
    }

    /// <summary>
    /// Orders the streaming stores issued so far before every later store (<c>sfence</c>; nothing where SSE is not
    /// available, where <see cref="StoreStreaming(Vector512{float}, ref float, nuint)"/> stores plainly).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamingFence()
    {
        if (Sse.IsSupported)
        {
            Sse.StoreFence();
        }
    }
}
