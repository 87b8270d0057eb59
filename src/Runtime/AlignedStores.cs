using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// Alignment helpers for the generated kernels over whole samples of BatchNorm over (N, C), whose samples are rows of a
/// few KiB that stay in cache, and for GroupNorm's per-group element-wise kernels (<see cref="Skew"/> only). A vector access that straddles two cache lines costs about two, and a tensor from
/// <c>new float[n]</c> starts wherever the GC put it, so the element-wise kernels store at 64-byte aligned positions of
/// the destination and read their per-element coefficients from copies placed at the same address modulo 64 bytes
/// (<see cref="Stage"/>), and the column walks load from the input's first aligned element (<see cref="Skew"/>).
/// Alignment only changes speed: the kernels are correct for any address, and a GC that moves a tensor after
/// <see cref="Stage"/> only costs the aligned loads.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AlignedStores
{
    /// <summary>Bytes of the alignment the kernels aim for: one cache line, the width of a Vector512.</summary>
    public const int LineBytes = 64;

    /// <summary>Floats of padding per staged array, so that any position modulo one cache line can be chosen.</summary>
    public const int Padding = LineBytes / sizeof(float);

    /// <summary>
    /// Elements from <paramref name="destination"/> to the first one whose address is a multiple of
    /// <paramref name="lanes"/> floats (a power of two, at most 16), or 0 if the address is not a multiple of a float.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Skew(ref float destination, int lanes)
    {
        nint address = Unsafe.ByteOffset(ref Unsafe.NullRef<float>(), ref destination);
        return (address & (sizeof(float) - 1)) != 0 ? 0 : (nuint)((-(address >> 2)) & (lanes - 1));
    }

    /// <summary>
    /// Allocates the pinned buffer for <paramref name="count"/> staged arrays of <paramref name="length"/> floats
    /// (<paramref name="length"/> a multiple of <see cref="Padding"/>, so every staged array has the same alignment).
    /// </summary>
    public static float[] AllocateStage(int count, int length)
    {
        if (length % Padding != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The staged length must be a multiple of {Padding} floats.");
        }

        return GC.AllocateArray<float>(count * (length + Padding), pinned: true);
    }

    /// <summary>
    /// Copies the first <paramref name="length"/> floats of <paramref name="first"/>, <paramref name="second"/>,
    /// <paramref name="third"/> and (unless empty) <paramref name="fourth"/> into their parts of the pinned
    /// <paramref name="stage"/> (from <see cref="AllocateStage"/>), at the same address modulo 64 bytes as
    /// <paramref name="like"/>, and returns the index of the first staged array: array <c>k</c> starts at
    /// <c>index + k * (length + Padding)</c>.
    /// </summary>
    public static int Stage(float[] stage, int length, ref float like, ReadOnlySpan<float> first, ReadOnlySpan<float> second, ReadOnlySpan<float> third, ReadOnlySpan<float> fourth = default)
    {
        int stride = length + Padding;
        nint offset = Unsafe.ByteOffset(ref stage[0], ref like);
        int index = (offset & (sizeof(float) - 1)) != 0 ? 0 : (int)((offset >> 2) & (Padding - 1));
        first.Slice(0, length).CopyTo(stage.AsSpan(index, length));
        second.Slice(0, length).CopyTo(stage.AsSpan(index + stride, length));
        third.Slice(0, length).CopyTo(stage.AsSpan(index + (2 * stride), length));
        if (!fourth.IsEmpty)
        {
            fourth.Slice(0, length).CopyTo(stage.AsSpan(index + (3 * stride), length));
        }

        return index;
    }
}
