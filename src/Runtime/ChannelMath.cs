using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The per-channel arithmetic of the generated BatchNorm layers, between their passes over the tensor: the totals of the
/// per-block partial sums, and the coefficients of the normalization and of the input gradient. It is vectorized over
/// channels (Vector512, Vector256 or Vector128 of double, the width the generated kernels use, see
/// <see cref="SimdMath"/>), with a scalar loop for the channels that do not fill a vector. Every path performs the same
/// IEEE operations on each channel in the same order, so the results are bitwise the same on every width. The methods
/// are for generated code: they check that the spans are long enough, not what they hold.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ChannelMath
{
    /// <summary>
    /// <c>totals[i] = partials[i] + partials[stride + i] + ... + partials[(blocks - 1) * stride + i]</c>, added in block
    /// order (starting from 0), for every <c>i &lt; totals.Length</c>.
    /// </summary>
    /// <param name="partials">One row of <paramref name="stride"/> partial sums per block.</param>
    /// <param name="blocks">Number of blocks (rows), at least 1.</param>
    /// <param name="stride">Distance between the rows of two blocks, at least <c>totals.Length</c>.</param>
    /// <param name="totals">Receives the totals.</param>
    public static void SumBlocks(ReadOnlySpan<double> partials, int blocks, int stride, Span<double> totals)
    {
        int n = totals.Length;
        if (blocks < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "At least one block is needed.");
        }

        if (stride < n)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The stride must be at least the number of totals ({n}).");
        }

        if ((long)(blocks - 1) * stride + n > partials.Length)
        {
            throw new ArgumentException($"{blocks} blocks of stride {stride} need {((long)(blocks - 1) * stride) + n} partial sums, but {partials.Length} were given.", nameof(partials));
        }

        ref double p = ref MemoryMarshal.GetReference(partials);
        ref double t = ref MemoryMarshal.GetReference(totals);
        int i = 0;
        if (SimdMath.Use512)
        {
            for (; i <= n - Vector512<double>.Count; i += Vector512<double>.Count)
            {
                Vector512<double> total = Vector512<double>.Zero;
                for (int b = 0; b < blocks; b++)
                {
                    total += Vector512.LoadUnsafe(ref p, (nuint)((b * stride) + i));
                }

                total.StoreUnsafe(ref t, (nuint)i);
            }
        }
        else if (SimdMath.Use256)
        {
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> total = Vector256<double>.Zero;
                for (int b = 0; b < blocks; b++)
                {
                    total += Vector256.LoadUnsafe(ref p, (nuint)((b * stride) + i));
                }

                total.StoreUnsafe(ref t, (nuint)i);
            }
        }
        else if (SimdMath.Use128)
        {
            for (; i <= n - Vector128<double>.Count; i += Vector128<double>.Count)
            {
                Vector128<double> total = Vector128<double>.Zero;
                for (int b = 0; b < blocks; b++)
                {
                    total += Vector128.LoadUnsafe(ref p, (nuint)((b * stride) + i));
                }

                total.StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double total = 0;
            for (int b = 0; b < blocks; b++)
            {
                total += Unsafe.Add(ref p, (b * stride) + i);
            }

            Unsafe.Add(ref t, i) = total;
        }
    }

    /// <summary>
    /// <c>sums[c] = values[c * length] + ... + values[c * length + length - 1]</c> for every <c>c &lt; sums.Length</c>:
    /// the per-channel fold of per-element totals (a channel's elements are consecutive). Each segment is added as eight
    /// interleaved partial sums (element <c>i</c> into partial <c>i % 8</c>, over the whole multiples of 8), combined as
    /// <c>((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7))</c>, and then the remaining elements in order: the same
    /// operations on every vector width (one Vector512, two Vector256 or four Vector128 of partials, or eight scalars).
    /// </summary>
    /// <param name="values">At least <c>sums.Length * length</c> values.</param>
    /// <param name="length">Elements per segment, at least 1.</param>
    /// <param name="sums">Receives one sum per segment.</param>
    public static void SumSegments(ReadOnlySpan<double> values, int length, Span<double> sums)
    {
        if (length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "A segment needs at least one element.");
        }

        if ((long)sums.Length * length > values.Length)
        {
            throw new ArgumentException($"{sums.Length} segments of {length} need {(long)sums.Length * length} values, but {values.Length} were given.", nameof(values));
        }

        ref double v = ref MemoryMarshal.GetReference(values);
        int whole = length / 8 * 8;
        Span<double> partials = stackalloc double[8];
        ref double q = ref MemoryMarshal.GetReference(partials);
        for (int c = 0; c < sums.Length; c++)
        {
            ref double segment = ref Unsafe.Add(ref v, c * length);
            if (SimdMath.Use512)
            {
                Vector512<double> p = Vector512<double>.Zero;
                for (int i = 0; i < whole; i += 8)
                {
                    p += Vector512.LoadUnsafe(ref segment, (nuint)i);
                }

                p.StoreUnsafe(ref q);
            }
            else if (SimdMath.Use256)
            {
                Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
                for (int i = 0; i < whole; i += 8)
                {
                    low += Vector256.LoadUnsafe(ref segment, (nuint)i);
                    high += Vector256.LoadUnsafe(ref segment, (nuint)(i + 4));
                }

                low.StoreUnsafe(ref q);
                high.StoreUnsafe(ref q, 4);
            }
            else if (SimdMath.Use128)
            {
                Vector128<double> p0 = Vector128<double>.Zero, p1 = Vector128<double>.Zero, p2 = Vector128<double>.Zero, p3 = Vector128<double>.Zero;
                for (int i = 0; i < whole; i += 8)
                {
                    p0 += Vector128.LoadUnsafe(ref segment, (nuint)i);
                    p1 += Vector128.LoadUnsafe(ref segment, (nuint)(i + 2));
                    p2 += Vector128.LoadUnsafe(ref segment, (nuint)(i + 4));
                    p3 += Vector128.LoadUnsafe(ref segment, (nuint)(i + 6));
                }

                p0.StoreUnsafe(ref q);
                p1.StoreUnsafe(ref q, 2);
                p2.StoreUnsafe(ref q, 4);
                p3.StoreUnsafe(ref q, 6);
            }
            else
            {
                partials.Clear();
                for (int i = 0; i < whole; i += 8)
                {
                    for (int j = 0; j < 8; j++)
                    {
                        Unsafe.Add(ref q, j) += Unsafe.Add(ref segment, i + j);
                    }
                }
            }

            double total = ((partials[0] + partials[4]) + (partials[2] + partials[6])) + ((partials[1] + partials[5]) + (partials[3] + partials[7]));
            for (int i = whole; i < length; i++)
            {
                total += Unsafe.Add(ref segment, i);
            }

            sums[c] = total;
        }
    }

    /// <summary>
    /// The first channel at or after <paramref name="start"/> whose one-pass sums cannot be trusted, or
    /// <c>deviations.Length</c> if there is none: a channel whose sum of squares is not finite, or whose shift lies
    /// farther than about one standard deviation from its mean, <c>!(2 * deviation * deviation &lt;= squares * count)</c>
    /// (then more than half of the squares would be the shift's offset). Such a channel is redone in two passes.
    /// </summary>
    /// <param name="deviations">Per channel: Σ(x - shift).</param>
    /// <param name="squares">Per channel: Σ(x - shift)².</param>
    /// <param name="count">Values per channel.</param>
    /// <param name="start">The first channel to look at.</param>
    public static int NextToRedo(ReadOnlySpan<double> deviations, ReadOnlySpan<double> squares, double count, int start)
    {
        int n = deviations.Length;
        Require(squares.Length, n, nameof(squares));
        if ((uint)start > (uint)n)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"The start must be a channel index or the number of channels ({n}).");
        }

        ref double dev = ref MemoryMarshal.GetReference(deviations);
        ref double sq = ref MemoryMarshal.GetReference(squares);
        int i = start;
        if (SimdMath.Use512)
        {
            Vector512<double> countV = Vector512.Create(count), infinity = Vector512.Create(double.PositiveInfinity);
            for (; i <= n - Vector512<double>.Count; i += Vector512<double>.Count)
            {
                Vector512<double> d = Vector512.LoadUnsafe(ref dev, (nuint)i), q = Vector512.LoadUnsafe(ref sq, (nuint)i);
                Vector512<double> good = Vector512.LessThan(Vector512.Abs(q), infinity) & Vector512.LessThanOrEqual(Vector512.Create(2.0) * d * d, q * countV);
                ulong bad = ~good.ExtractMostSignificantBits() & 0xFF;
                if (bad != 0)
                {
                    return i + System.Numerics.BitOperations.TrailingZeroCount(bad);
                }
            }
        }
        else if (SimdMath.Use256)
        {
            Vector256<double> countV = Vector256.Create(count), infinity = Vector256.Create(double.PositiveInfinity);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> d = Vector256.LoadUnsafe(ref dev, (nuint)i), q = Vector256.LoadUnsafe(ref sq, (nuint)i);
                Vector256<double> good = Vector256.LessThan(Vector256.Abs(q), infinity) & Vector256.LessThanOrEqual(Vector256.Create(2.0) * d * d, q * countV);
                uint bad = ~good.ExtractMostSignificantBits() & 0xF;
                if (bad != 0)
                {
                    return i + System.Numerics.BitOperations.TrailingZeroCount(bad);
                }
            }
        }
        else if (SimdMath.Use128)
        {
            Vector128<double> countV = Vector128.Create(count), infinity = Vector128.Create(double.PositiveInfinity);
            for (; i <= n - Vector128<double>.Count; i += Vector128<double>.Count)
            {
                Vector128<double> d = Vector128.LoadUnsafe(ref dev, (nuint)i), q = Vector128.LoadUnsafe(ref sq, (nuint)i);
                Vector128<double> good = Vector128.LessThan(Vector128.Abs(q), infinity) & Vector128.LessThanOrEqual(Vector128.Create(2.0) * d * d, q * countV);
                uint bad = ~good.ExtractMostSignificantBits() & 0x3;
                if (bad != 0)
                {
                    return i + System.Numerics.BitOperations.TrailingZeroCount(bad);
                }
            }
        }

        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref dev, i), q = Unsafe.Add(ref sq, i);
            if (!(double.IsFinite(q) && 2 * d * d <= q * count))
            {
                return i;
            }
        }

        return n;
    }

    /// <summary>
    /// The batch statistics of each channel from its sums of deviations from a shift, and the coefficients of
    /// <c>y = (x - shift) * scale + offset</c>. Per channel, in double:
    /// <code>
    /// meanOffset = deviations * (1 / count)                   // mean - shift
    /// m2         = max(squares - deviations * meanOffset, 0)  // sum of squared deviations from the mean
    /// invStd     = 1 / sqrt(m2 * (1 / count) + eps)           // 0 when eps == 0 and the variance is 0 (PyTorch)
    /// scale      = weight * invStd,  offset = bias - meanOffset * scale
    /// saveMean   = shift + meanOffset,  saveInvStd = invStd
    /// batchMean  = (float)(shift + meanOffset), or the shift itself when it is not finite
    /// batchVar   = (float)(m2 * (1 / (count - 1)))            // unbiased, for running_var
    /// </code>
    /// The divisions by the count are multiplications by its reciprocal (within an ulp of the quotient, in double): the
    /// square root and the one division left are most of the cost. A shift that is not finite comes from a channel redone in two passes whose plain mean is not finite; that mean
    /// (PyTorch's batch mean) is then the shift.
    /// </summary>
    /// <param name="deviations">Per channel: Σ(x - shift). Its length is the number of channels.</param>
    /// <param name="squares">Per channel: Σ(x - shift)².</param>
    /// <param name="shift">Per channel: the shift.</param>
    /// <param name="weight">Per channel: γ; empty for no weight (γ = 1).</param>
    /// <param name="bias">Per channel: β; empty for no bias (β = 0).</param>
    /// <param name="count">Values per channel.</param>
    /// <param name="eps">ε added to the variance.</param>
    /// <param name="saveMean">Receives the mean, for the backward pass.</param>
    /// <param name="saveInvStd">Receives 1 / sqrt(var + ε), for the backward pass.</param>
    /// <param name="batchMean">Receives the mean as a float, for the running statistics; empty when they are not tracked.</param>
    /// <param name="batchVar">Receives the unbiased variance as a float; empty when the running statistics are not tracked.</param>
    /// <param name="scale">Receives the scale.</param>
    /// <param name="offset">Receives the offset.</param>
    public static void BatchCoefficients(
        ReadOnlySpan<double> deviations,
        ReadOnlySpan<double> squares,
        ReadOnlySpan<float> shift,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        double count,
        double eps,
        Span<double> saveMean,
        Span<double> saveInvStd,
        Span<float> batchMean,
        Span<float> batchVar,
        Span<float> scale,
        Span<float> offset)
    {
        int n = deviations.Length;
        Require(squares.Length, n, nameof(squares));
        Require(shift.Length, n, nameof(shift));
        bool hasWeight = !weight.IsEmpty;
        bool hasBias = !bias.IsEmpty;
        bool tracks = !batchMean.IsEmpty;
        if (hasWeight)
        {
            Require(weight.Length, n, nameof(weight));
        }

        if (hasBias)
        {
            Require(bias.Length, n, nameof(bias));
        }

        Require(saveMean.Length, n, nameof(saveMean));
        Require(saveInvStd.Length, n, nameof(saveInvStd));
        if (tracks)
        {
            Require(batchMean.Length, n, nameof(batchMean));
            Require(batchVar.Length, n, nameof(batchVar));
        }

        Require(scale.Length, n, nameof(scale));
        Require(offset.Length, n, nameof(offset));

        double inverseCount = 1 / count, inverseCountM1 = 1 / (count - 1);
        ref double dev = ref MemoryMarshal.GetReference(deviations);
        ref double sq = ref MemoryMarshal.GetReference(squares);
        ref float sh = ref MemoryMarshal.GetReference(shift);
        ref float w = ref MemoryMarshal.GetReference(weight);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref double mean = ref MemoryMarshal.GetReference(saveMean);
        ref double inv = ref MemoryMarshal.GetReference(saveInvStd);
        ref float bm = ref MemoryMarshal.GetReference(batchMean);
        ref float bv = ref MemoryMarshal.GetReference(batchVar);
        ref float sc = ref MemoryMarshal.GetReference(scale);
        ref float of = ref MemoryMarshal.GetReference(offset);
        int i = 0;
        if (SimdMath.Use512)
        {
            Vector512<double> inverseCountV = Vector512.Create(inverseCount), inverseCountM1V = Vector512.Create(inverseCountM1), epsV = Vector512.Create(eps);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector512<double>.Count);
                Vector512<float> shiftF = Vector512.LoadUnsafe(ref sh, at);
                (Vector512<double> shiftLo, Vector512<double> shiftHi) = Vector512.Widen(shiftF);
                (Vector512<double> wLo, Vector512<double> wHi) = hasWeight ? Vector512.Widen(Vector512.LoadUnsafe(ref w, at)) : (Vector512<double>.One, Vector512<double>.One);
                (Vector512<double> bLo, Vector512<double> bHi) = hasBias ? Vector512.Widen(Vector512.LoadUnsafe(ref b, at)) : (Vector512<double>.Zero, Vector512<double>.Zero);
                Batch(Vector512.LoadUnsafe(ref dev, at), Vector512.LoadUnsafe(ref sq, at), shiftLo, wLo, bLo, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector512<double> meanLo, out Vector512<double> invLo, out Vector512<double> varLo, out Vector512<double> scaleLo, out Vector512<double> offsetLo);
                Batch(Vector512.LoadUnsafe(ref dev, high), Vector512.LoadUnsafe(ref sq, high), shiftHi, wHi, bHi, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector512<double> meanHi, out Vector512<double> invHi, out Vector512<double> varHi, out Vector512<double> scaleHi, out Vector512<double> offsetHi);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (tracks)
                {
                    Vector512<float> finite = Vector512.LessThan(Vector512.Abs(shiftF), Vector512.Create(float.PositiveInfinity));
                    Vector512.ConditionalSelect(finite, Vector512.Narrow(meanLo, meanHi), shiftF).StoreUnsafe(ref bm, at);
                    Vector512.Narrow(varLo, varHi).StoreUnsafe(ref bv, at);
                }

                Vector512.Narrow(scaleLo, scaleHi).StoreUnsafe(ref sc, at);
                Vector512.Narrow(offsetLo, offsetHi).StoreUnsafe(ref of, at);
            }
        }
        else if (SimdMath.Use256)
        {
            Vector256<double> inverseCountV = Vector256.Create(inverseCount), inverseCountM1V = Vector256.Create(inverseCountM1), epsV = Vector256.Create(eps);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector256<double>.Count);
                Vector256<float> shiftF = Vector256.LoadUnsafe(ref sh, at);
                (Vector256<double> shiftLo, Vector256<double> shiftHi) = Vector256.Widen(shiftF);
                (Vector256<double> wLo, Vector256<double> wHi) = hasWeight ? Vector256.Widen(Vector256.LoadUnsafe(ref w, at)) : (Vector256<double>.One, Vector256<double>.One);
                (Vector256<double> bLo, Vector256<double> bHi) = hasBias ? Vector256.Widen(Vector256.LoadUnsafe(ref b, at)) : (Vector256<double>.Zero, Vector256<double>.Zero);
                Batch(Vector256.LoadUnsafe(ref dev, at), Vector256.LoadUnsafe(ref sq, at), shiftLo, wLo, bLo, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector256<double> meanLo, out Vector256<double> invLo, out Vector256<double> varLo, out Vector256<double> scaleLo, out Vector256<double> offsetLo);
                Batch(Vector256.LoadUnsafe(ref dev, high), Vector256.LoadUnsafe(ref sq, high), shiftHi, wHi, bHi, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector256<double> meanHi, out Vector256<double> invHi, out Vector256<double> varHi, out Vector256<double> scaleHi, out Vector256<double> offsetHi);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (tracks)
                {
                    Vector256<float> finite = Vector256.LessThan(Vector256.Abs(shiftF), Vector256.Create(float.PositiveInfinity));
                    Vector256.ConditionalSelect(finite, Vector256.Narrow(meanLo, meanHi), shiftF).StoreUnsafe(ref bm, at);
                    Vector256.Narrow(varLo, varHi).StoreUnsafe(ref bv, at);
                }

                Vector256.Narrow(scaleLo, scaleHi).StoreUnsafe(ref sc, at);
                Vector256.Narrow(offsetLo, offsetHi).StoreUnsafe(ref of, at);
            }
        }
        else if (SimdMath.Use128)
        {
            Vector128<double> inverseCountV = Vector128.Create(inverseCount), inverseCountM1V = Vector128.Create(inverseCountM1), epsV = Vector128.Create(eps);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector128<double>.Count);
                Vector128<float> shiftF = Vector128.LoadUnsafe(ref sh, at);
                (Vector128<double> shiftLo, Vector128<double> shiftHi) = Vector128.Widen(shiftF);
                (Vector128<double> wLo, Vector128<double> wHi) = hasWeight ? Vector128.Widen(Vector128.LoadUnsafe(ref w, at)) : (Vector128<double>.One, Vector128<double>.One);
                (Vector128<double> bLo, Vector128<double> bHi) = hasBias ? Vector128.Widen(Vector128.LoadUnsafe(ref b, at)) : (Vector128<double>.Zero, Vector128<double>.Zero);
                Batch(Vector128.LoadUnsafe(ref dev, at), Vector128.LoadUnsafe(ref sq, at), shiftLo, wLo, bLo, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector128<double> meanLo, out Vector128<double> invLo, out Vector128<double> varLo, out Vector128<double> scaleLo, out Vector128<double> offsetLo);
                Batch(Vector128.LoadUnsafe(ref dev, high), Vector128.LoadUnsafe(ref sq, high), shiftHi, wHi, bHi, hasBias, inverseCountV, inverseCountM1V, epsV, eps == 0, out Vector128<double> meanHi, out Vector128<double> invHi, out Vector128<double> varHi, out Vector128<double> scaleHi, out Vector128<double> offsetHi);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (tracks)
                {
                    Vector128<float> finite = Vector128.LessThan(Vector128.Abs(shiftF), Vector128.Create(float.PositiveInfinity));
                    Vector128.ConditionalSelect(finite, Vector128.Narrow(meanLo, meanHi), shiftF).StoreUnsafe(ref bm, at);
                    Vector128.Narrow(varLo, varHi).StoreUnsafe(ref bv, at);
                }

                Vector128.Narrow(scaleLo, scaleHi).StoreUnsafe(ref sc, at);
                Vector128.Narrow(offsetLo, offsetHi).StoreUnsafe(ref of, at);
            }
        }

        for (; i < n; i++)
        {
            double deviation = Unsafe.Add(ref dev, i);
            double meanOffset = deviation * inverseCount;
            double m2 = Math.Max(Unsafe.Add(ref sq, i) - (deviation * meanOffset), 0.0);
            double variance = m2 * inverseCount;
            double invStd = eps == 0 && variance == 0 ? 0 : 1 / Math.Sqrt(variance + eps);
            double scaleValue = (hasWeight ? Unsafe.Add(ref w, i) : 1.0) * invStd;
            double offsetValue = hasBias ? Unsafe.Add(ref b, i) - (meanOffset * scaleValue) : -(meanOffset * scaleValue);
            float shiftValue = Unsafe.Add(ref sh, i);
            double meanValue = shiftValue + meanOffset;
            Unsafe.Add(ref mean, i) = meanValue;
            Unsafe.Add(ref inv, i) = invStd;
            if (tracks)
            {
                Unsafe.Add(ref bm, i) = float.IsFinite(shiftValue) ? (float)meanValue : shiftValue;
                Unsafe.Add(ref bv, i) = (float)(m2 * inverseCountM1);
            }

            Unsafe.Add(ref sc, i) = (float)scaleValue;
            Unsafe.Add(ref of, i) = (float)offsetValue;
        }
    }

    /// <summary>
    /// Eval mode: the coefficients of <c>y = (x - shift) * scale + offset</c> from the running statistics. Per channel:
    /// <c>invStd = 1 / sqrt(runningVar + eps)</c> in double, <c>scale = (float)(weight * invStd)</c>,
    /// <c>offset = bias</c>, <c>shift = runningMean</c>; the mean and invStd are saved for the backward pass.
    /// </summary>
    /// <param name="runningMean">Per channel: running_mean. Its length is the number of channels.</param>
    /// <param name="runningVar">Per channel: running_var.</param>
    /// <param name="weight">Per channel: γ; empty for no weight.</param>
    /// <param name="bias">Per channel: β; empty for no bias.</param>
    /// <param name="eps">ε added to the variance.</param>
    /// <param name="saveMean">Receives running_mean, for the backward pass.</param>
    /// <param name="saveInvStd">Receives 1 / sqrt(running_var + ε), for the backward pass.</param>
    /// <param name="shift">Receives the shift (running_mean).</param>
    /// <param name="scale">Receives the scale.</param>
    /// <param name="offset">Receives the offset.</param>
    public static void RunningCoefficients(
        ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningVar,
        ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias,
        double eps,
        Span<double> saveMean,
        Span<double> saveInvStd,
        Span<float> shift,
        Span<float> scale,
        Span<float> offset)
    {
        int n = runningMean.Length;
        Require(runningVar.Length, n, nameof(runningVar));
        bool hasWeight = !weight.IsEmpty;
        bool hasBias = !bias.IsEmpty;
        if (hasWeight)
        {
            Require(weight.Length, n, nameof(weight));
        }

        if (hasBias)
        {
            Require(bias.Length, n, nameof(bias));
        }

        Require(saveMean.Length, n, nameof(saveMean));
        Require(saveInvStd.Length, n, nameof(saveInvStd));
        Require(shift.Length, n, nameof(shift));
        Require(scale.Length, n, nameof(scale));
        Require(offset.Length, n, nameof(offset));

        ref float rm = ref MemoryMarshal.GetReference(runningMean);
        ref float rv = ref MemoryMarshal.GetReference(runningVar);
        ref float w = ref MemoryMarshal.GetReference(weight);
        ref double mean = ref MemoryMarshal.GetReference(saveMean);
        ref double inv = ref MemoryMarshal.GetReference(saveInvStd);
        ref float sc = ref MemoryMarshal.GetReference(scale);
        int i = 0;
        if (SimdMath.Use512)
        {
            Vector512<double> epsV = Vector512.Create(eps);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector512<double>.Count);
                (Vector512<double> meanLo, Vector512<double> meanHi) = Vector512.Widen(Vector512.LoadUnsafe(ref rm, at));
                (Vector512<double> varLo, Vector512<double> varHi) = Vector512.Widen(Vector512.LoadUnsafe(ref rv, at));
                Vector512<double> invLo = Vector512<double>.One / Vector512.Sqrt(varLo + epsV);
                Vector512<double> invHi = Vector512<double>.One / Vector512.Sqrt(varHi + epsV);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (hasWeight)
                {
                    (Vector512<double> wLo, Vector512<double> wHi) = Vector512.Widen(Vector512.LoadUnsafe(ref w, at));
                    invLo *= wLo;
                    invHi *= wHi;
                }

                Vector512.Narrow(invLo, invHi).StoreUnsafe(ref sc, at);
            }
        }
        else if (SimdMath.Use256)
        {
            Vector256<double> epsV = Vector256.Create(eps);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector256<double>.Count);
                (Vector256<double> meanLo, Vector256<double> meanHi) = Vector256.Widen(Vector256.LoadUnsafe(ref rm, at));
                (Vector256<double> varLo, Vector256<double> varHi) = Vector256.Widen(Vector256.LoadUnsafe(ref rv, at));
                Vector256<double> invLo = Vector256<double>.One / Vector256.Sqrt(varLo + epsV);
                Vector256<double> invHi = Vector256<double>.One / Vector256.Sqrt(varHi + epsV);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (hasWeight)
                {
                    (Vector256<double> wLo, Vector256<double> wHi) = Vector256.Widen(Vector256.LoadUnsafe(ref w, at));
                    invLo *= wLo;
                    invHi *= wHi;
                }

                Vector256.Narrow(invLo, invHi).StoreUnsafe(ref sc, at);
            }
        }
        else if (SimdMath.Use128)
        {
            Vector128<double> epsV = Vector128.Create(eps);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector128<double>.Count);
                (Vector128<double> meanLo, Vector128<double> meanHi) = Vector128.Widen(Vector128.LoadUnsafe(ref rm, at));
                (Vector128<double> varLo, Vector128<double> varHi) = Vector128.Widen(Vector128.LoadUnsafe(ref rv, at));
                Vector128<double> invLo = Vector128<double>.One / Vector128.Sqrt(varLo + epsV);
                Vector128<double> invHi = Vector128<double>.One / Vector128.Sqrt(varHi + epsV);
                meanLo.StoreUnsafe(ref mean, at);
                meanHi.StoreUnsafe(ref mean, high);
                invLo.StoreUnsafe(ref inv, at);
                invHi.StoreUnsafe(ref inv, high);
                if (hasWeight)
                {
                    (Vector128<double> wLo, Vector128<double> wHi) = Vector128.Widen(Vector128.LoadUnsafe(ref w, at));
                    invLo *= wLo;
                    invHi *= wHi;
                }

                Vector128.Narrow(invLo, invHi).StoreUnsafe(ref sc, at);
            }
        }

        for (; i < n; i++)
        {
            double invStd = 1 / Math.Sqrt(Unsafe.Add(ref rv, i) + eps);
            Unsafe.Add(ref mean, i) = Unsafe.Add(ref rm, i);
            Unsafe.Add(ref inv, i) = invStd;
            Unsafe.Add(ref sc, i) = (float)(hasWeight ? Unsafe.Add(ref w, i) * invStd : invStd);
        }

        runningMean.CopyTo(shift);
        if (hasBias)
        {
            bias.CopyTo(offset);
        }
        else
        {
            offset.Slice(0, n).Clear();
        }
    }

    /// <summary>
    /// The coefficients of the input gradient <c>dx = dy * a + (x - shift) * b + c</c> per channel, from the sums of the
    /// backward pass, and the parameter gradients (added, as PyTorch's autograd accumulates). Per channel, in double,
    /// with <c>shift = (float)mean</c>:
    /// <code>
    /// sumDyXmu   = sumDyX - (mean - shift) * sumDy          // Σ dy * (x - mean)
    /// weightGrad += (float)(sumDyXmu * invStd),  biasGrad += (float)sumDy
    /// a = invStd * γ,  and with batch statistics (else b = c = 0):
    /// b = -invStd * invStd * (γ * sumDyXmu * invStd * (1 / count)),  c = -invStd * (γ * sumDy * (1 / count)) - b * (mean - shift)
    /// </code>
    /// </summary>
    /// <param name="sumDy">Per channel: Σdy. Its length is the number of channels.</param>
    /// <param name="sumDyX">Per channel: Σdy·(x - shift).</param>
    /// <param name="saveMean">Per channel: the mean that the forward pass used.</param>
    /// <param name="saveInvStd">Per channel: the 1 / sqrt(var + ε) that the forward pass used.</param>
    /// <param name="weight">Per channel: γ; empty for no weight (γ = 1, and no weight gradient).</param>
    /// <param name="weightGrad">The weight's gradient, added to; empty for no weight.</param>
    /// <param name="biasGrad">The bias's gradient, added to; empty for no bias.</param>
    /// <param name="count">Values per channel.</param>
    /// <param name="batchStatistics">The forward pass used batch statistics (training), so x̂ depends on every x.</param>
    /// <param name="gradA">Receives a.</param>
    /// <param name="gradB">Receives b.</param>
    /// <param name="gradC">Receives c.</param>
    public static void GradientCoefficients(
        ReadOnlySpan<double> sumDy,
        ReadOnlySpan<double> sumDyX,
        ReadOnlySpan<double> saveMean,
        ReadOnlySpan<double> saveInvStd,
        ReadOnlySpan<float> weight,
        Span<float> weightGrad,
        Span<float> biasGrad,
        double count,
        bool batchStatistics,
        Span<float> gradA,
        Span<float> gradB,
        Span<float> gradC)
    {
        int n = sumDy.Length;
        Require(sumDyX.Length, n, nameof(sumDyX));
        Require(saveMean.Length, n, nameof(saveMean));
        Require(saveInvStd.Length, n, nameof(saveInvStd));
        bool hasWeight = !weight.IsEmpty;
        bool hasBias = !biasGrad.IsEmpty;
        if (hasWeight)
        {
            Require(weight.Length, n, nameof(weight));
            Require(weightGrad.Length, n, nameof(weightGrad));
        }

        if (hasBias)
        {
            Require(biasGrad.Length, n, nameof(biasGrad));
        }

        Require(gradA.Length, n, nameof(gradA));
        Require(gradB.Length, n, nameof(gradB));
        Require(gradC.Length, n, nameof(gradC));

        double inverseCount = 1 / count;
        ref double dy = ref MemoryMarshal.GetReference(sumDy);
        ref double dyx = ref MemoryMarshal.GetReference(sumDyX);
        ref double mean = ref MemoryMarshal.GetReference(saveMean);
        ref double inv = ref MemoryMarshal.GetReference(saveInvStd);
        ref float w = ref MemoryMarshal.GetReference(weight);
        ref float wg = ref MemoryMarshal.GetReference(weightGrad);
        ref float bg = ref MemoryMarshal.GetReference(biasGrad);
        ref float ga = ref MemoryMarshal.GetReference(gradA);
        ref float gb = ref MemoryMarshal.GetReference(gradB);
        ref float gc = ref MemoryMarshal.GetReference(gradC);
        int i = 0;
        if (SimdMath.Use512)
        {
            Vector512<double> inverseCountV = Vector512.Create(1 / count);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector512<double>.Count);
                (Vector512<double> wLo, Vector512<double> wHi) = hasWeight ? Vector512.Widen(Vector512.LoadUnsafe(ref w, at)) : (Vector512<double>.One, Vector512<double>.One);
                Gradient(Vector512.LoadUnsafe(ref dy, at), Vector512.LoadUnsafe(ref dyx, at), Vector512.LoadUnsafe(ref mean, at), Vector512.LoadUnsafe(ref inv, at), wLo, inverseCountV, batchStatistics, out Vector512<double> xmuLo, out Vector512<double> aLo, out Vector512<double> bLo, out Vector512<double> cLo);
                Gradient(Vector512.LoadUnsafe(ref dy, high), Vector512.LoadUnsafe(ref dyx, high), Vector512.LoadUnsafe(ref mean, high), Vector512.LoadUnsafe(ref inv, high), wHi, inverseCountV, batchStatistics, out Vector512<double> xmuHi, out Vector512<double> aHi, out Vector512<double> bHi, out Vector512<double> cHi);
                if (hasWeight)
                {
                    Vector512<float> g = Vector512.Narrow(xmuLo * Vector512.LoadUnsafe(ref inv, at), xmuHi * Vector512.LoadUnsafe(ref inv, high));
                    (Vector512.LoadUnsafe(ref wg, at) + g).StoreUnsafe(ref wg, at);
                }

                if (hasBias)
                {
                    Vector512<float> g = Vector512.Narrow(Vector512.LoadUnsafe(ref dy, at), Vector512.LoadUnsafe(ref dy, high));
                    (Vector512.LoadUnsafe(ref bg, at) + g).StoreUnsafe(ref bg, at);
                }

                Vector512.Narrow(aLo, aHi).StoreUnsafe(ref ga, at);
                Vector512.Narrow(bLo, bHi).StoreUnsafe(ref gb, at);
                Vector512.Narrow(cLo, cHi).StoreUnsafe(ref gc, at);
            }
        }
        else if (SimdMath.Use256)
        {
            Vector256<double> inverseCountV = Vector256.Create(1 / count);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector256<double>.Count);
                (Vector256<double> wLo, Vector256<double> wHi) = hasWeight ? Vector256.Widen(Vector256.LoadUnsafe(ref w, at)) : (Vector256<double>.One, Vector256<double>.One);
                Gradient(Vector256.LoadUnsafe(ref dy, at), Vector256.LoadUnsafe(ref dyx, at), Vector256.LoadUnsafe(ref mean, at), Vector256.LoadUnsafe(ref inv, at), wLo, inverseCountV, batchStatistics, out Vector256<double> xmuLo, out Vector256<double> aLo, out Vector256<double> bLo, out Vector256<double> cLo);
                Gradient(Vector256.LoadUnsafe(ref dy, high), Vector256.LoadUnsafe(ref dyx, high), Vector256.LoadUnsafe(ref mean, high), Vector256.LoadUnsafe(ref inv, high), wHi, inverseCountV, batchStatistics, out Vector256<double> xmuHi, out Vector256<double> aHi, out Vector256<double> bHi, out Vector256<double> cHi);
                if (hasWeight)
                {
                    Vector256<float> g = Vector256.Narrow(xmuLo * Vector256.LoadUnsafe(ref inv, at), xmuHi * Vector256.LoadUnsafe(ref inv, high));
                    (Vector256.LoadUnsafe(ref wg, at) + g).StoreUnsafe(ref wg, at);
                }

                if (hasBias)
                {
                    Vector256<float> g = Vector256.Narrow(Vector256.LoadUnsafe(ref dy, at), Vector256.LoadUnsafe(ref dy, high));
                    (Vector256.LoadUnsafe(ref bg, at) + g).StoreUnsafe(ref bg, at);
                }

                Vector256.Narrow(aLo, aHi).StoreUnsafe(ref ga, at);
                Vector256.Narrow(bLo, bHi).StoreUnsafe(ref gb, at);
                Vector256.Narrow(cLo, cHi).StoreUnsafe(ref gc, at);
            }
        }
        else if (SimdMath.Use128)
        {
            Vector128<double> inverseCountV = Vector128.Create(1 / count);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                nuint at = (nuint)i, high = (nuint)(i + Vector128<double>.Count);
                (Vector128<double> wLo, Vector128<double> wHi) = hasWeight ? Vector128.Widen(Vector128.LoadUnsafe(ref w, at)) : (Vector128<double>.One, Vector128<double>.One);
                Gradient(Vector128.LoadUnsafe(ref dy, at), Vector128.LoadUnsafe(ref dyx, at), Vector128.LoadUnsafe(ref mean, at), Vector128.LoadUnsafe(ref inv, at), wLo, inverseCountV, batchStatistics, out Vector128<double> xmuLo, out Vector128<double> aLo, out Vector128<double> bLo, out Vector128<double> cLo);
                Gradient(Vector128.LoadUnsafe(ref dy, high), Vector128.LoadUnsafe(ref dyx, high), Vector128.LoadUnsafe(ref mean, high), Vector128.LoadUnsafe(ref inv, high), wHi, inverseCountV, batchStatistics, out Vector128<double> xmuHi, out Vector128<double> aHi, out Vector128<double> bHi, out Vector128<double> cHi);
                if (hasWeight)
                {
                    Vector128<float> g = Vector128.Narrow(xmuLo * Vector128.LoadUnsafe(ref inv, at), xmuHi * Vector128.LoadUnsafe(ref inv, high));
                    (Vector128.LoadUnsafe(ref wg, at) + g).StoreUnsafe(ref wg, at);
                }

                if (hasBias)
                {
                    Vector128<float> g = Vector128.Narrow(Vector128.LoadUnsafe(ref dy, at), Vector128.LoadUnsafe(ref dy, high));
                    (Vector128.LoadUnsafe(ref bg, at) + g).StoreUnsafe(ref bg, at);
                }

                Vector128.Narrow(aLo, aHi).StoreUnsafe(ref ga, at);
                Vector128.Narrow(bLo, bHi).StoreUnsafe(ref gb, at);
                Vector128.Narrow(cLo, cHi).StoreUnsafe(ref gc, at);
            }
        }

        for (; i < n; i++)
        {
            double meanValue = Unsafe.Add(ref mean, i);
            double invStd = Unsafe.Add(ref inv, i);
            double centered = meanValue - (float)meanValue; // mean - shift
            double dySum = Unsafe.Add(ref dy, i);
            double sumDyXmu = Unsafe.Add(ref dyx, i) - (centered * dySum);
            if (hasWeight)
            {
                Unsafe.Add(ref wg, i) += (float)(sumDyXmu * invStd);
            }

            if (hasBias)
            {
                Unsafe.Add(ref bg, i) += (float)dySum;
            }

            double gamma = hasWeight ? Unsafe.Add(ref w, i) : 1.0;
            double a = invStd * gamma;
            double b = 0, c = 0;
            if (batchStatistics)
            {
                double meanG = gamma * dySum * inverseCount;
                double meanGx = gamma * sumDyXmu * invStd * inverseCount;
                b = -invStd * invStd * meanGx;
                c = (-invStd * meanG) - (b * centered);
            }

            Unsafe.Add(ref ga, i) = (float)a;
            Unsafe.Add(ref gb, i) = (float)b;
            Unsafe.Add(ref gc, i) = (float)c;
        }
    }

    /// <summary>
    /// The running-statistics update <c>running = (1 - momentum) * running + momentum * batch</c>, in float like
    /// PyTorch's CPU kernel (two products and a sum, no fused multiply-add), for every channel of <paramref name="running"/>.
    /// </summary>
    /// <param name="running">running_mean or running_var, updated in place. Its length is the number of channels.</param>
    /// <param name="batch">Per channel: the batch statistic.</param>
    /// <param name="momentum">The weight of the batch statistic.</param>
    public static void UpdateRunning(Span<float> running, ReadOnlySpan<float> batch, float momentum)
    {
        int n = running.Length;
        Require(batch.Length, n, nameof(batch));
        ref float r = ref MemoryMarshal.GetReference(running);
        ref float b = ref MemoryMarshal.GetReference(batch);
        float keep = 1f - momentum;
        int i = 0;
        if (SimdMath.Use512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                ((Vector512.Create(keep) * Vector512.LoadUnsafe(ref r, (nuint)i)) + (Vector512.Create(momentum) * Vector512.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref r, (nuint)i);
            }
        }
        else if (SimdMath.Use256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                ((Vector256.Create(keep) * Vector256.LoadUnsafe(ref r, (nuint)i)) + (Vector256.Create(momentum) * Vector256.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref r, (nuint)i);
            }
        }
        else if (SimdMath.Use128)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                ((Vector128.Create(keep) * Vector128.LoadUnsafe(ref r, (nuint)i)) + (Vector128.Create(momentum) * Vector128.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref r, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref r, i) = (keep * Unsafe.Add(ref r, i)) + (momentum * Unsafe.Add(ref b, i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Batch(
        Vector512<double> deviation, Vector512<double> squares, Vector512<double> shift, Vector512<double> weight, Vector512<double> bias, bool hasBias,
        Vector512<double> inverseCount, Vector512<double> inverseCountM1, Vector512<double> eps, bool zeroEps,
        out Vector512<double> mean, out Vector512<double> invStd, out Vector512<double> unbiased, out Vector512<double> scale, out Vector512<double> offset)
    {
        Vector512<double> meanOffset = deviation * inverseCount;
        Vector512<double> m2 = Vector512.Max(squares - (deviation * meanOffset), Vector512<double>.Zero);
        Vector512<double> variance = m2 * inverseCount;
        invStd = Vector512<double>.One / Vector512.Sqrt(variance + eps);
        if (zeroEps)
        {
            invStd = Vector512.ConditionalSelect(Vector512.Equals(variance, Vector512<double>.Zero), Vector512<double>.Zero, invStd);
        }

        scale = weight * invStd;
        offset = hasBias ? bias - (meanOffset * scale) : -(meanOffset * scale);
        mean = shift + meanOffset;
        unbiased = m2 * inverseCountM1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Batch(
        Vector256<double> deviation, Vector256<double> squares, Vector256<double> shift, Vector256<double> weight, Vector256<double> bias, bool hasBias,
        Vector256<double> inverseCount, Vector256<double> inverseCountM1, Vector256<double> eps, bool zeroEps,
        out Vector256<double> mean, out Vector256<double> invStd, out Vector256<double> unbiased, out Vector256<double> scale, out Vector256<double> offset)
    {
        Vector256<double> meanOffset = deviation * inverseCount;
        Vector256<double> m2 = Vector256.Max(squares - (deviation * meanOffset), Vector256<double>.Zero);
        Vector256<double> variance = m2 * inverseCount;
        invStd = Vector256<double>.One / Vector256.Sqrt(variance + eps);
        if (zeroEps)
        {
            invStd = Vector256.ConditionalSelect(Vector256.Equals(variance, Vector256<double>.Zero), Vector256<double>.Zero, invStd);
        }

        scale = weight * invStd;
        offset = hasBias ? bias - (meanOffset * scale) : -(meanOffset * scale);
        mean = shift + meanOffset;
        unbiased = m2 * inverseCountM1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Batch(
        Vector128<double> deviation, Vector128<double> squares, Vector128<double> shift, Vector128<double> weight, Vector128<double> bias, bool hasBias,
        Vector128<double> inverseCount, Vector128<double> inverseCountM1, Vector128<double> eps, bool zeroEps,
        out Vector128<double> mean, out Vector128<double> invStd, out Vector128<double> unbiased, out Vector128<double> scale, out Vector128<double> offset)
    {
        Vector128<double> meanOffset = deviation * inverseCount;
        Vector128<double> m2 = Vector128.Max(squares - (deviation * meanOffset), Vector128<double>.Zero);
        Vector128<double> variance = m2 * inverseCount;
        invStd = Vector128<double>.One / Vector128.Sqrt(variance + eps);
        if (zeroEps)
        {
            invStd = Vector128.ConditionalSelect(Vector128.Equals(variance, Vector128<double>.Zero), Vector128<double>.Zero, invStd);
        }

        scale = weight * invStd;
        offset = hasBias ? bias - (meanOffset * scale) : -(meanOffset * scale);
        mean = shift + meanOffset;
        unbiased = m2 * inverseCountM1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gradient(
        Vector512<double> sumDy, Vector512<double> sumDyX, Vector512<double> mean, Vector512<double> invStd, Vector512<double> gamma, Vector512<double> inverseCount, bool batchStatistics,
        out Vector512<double> sumDyXmu, out Vector512<double> a, out Vector512<double> b, out Vector512<double> c)
    {
        Vector512<double> centered = mean - Vector512.Widen(Vector512.Narrow(mean, mean)).Lower; // mean - (float)mean
        sumDyXmu = sumDyX - (centered * sumDy);
        a = invStd * gamma;
        if (batchStatistics)
        {
            Vector512<double> meanG = gamma * sumDy * inverseCount;
            Vector512<double> meanGx = gamma * sumDyXmu * invStd * inverseCount;
            b = -invStd * invStd * meanGx;
            c = (-invStd * meanG) - (b * centered);
        }
        else
        {
            b = Vector512<double>.Zero;
            c = Vector512<double>.Zero;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gradient(
        Vector256<double> sumDy, Vector256<double> sumDyX, Vector256<double> mean, Vector256<double> invStd, Vector256<double> gamma, Vector256<double> inverseCount, bool batchStatistics,
        out Vector256<double> sumDyXmu, out Vector256<double> a, out Vector256<double> b, out Vector256<double> c)
    {
        Vector256<double> centered = mean - Vector256.Widen(Vector256.Narrow(mean, mean)).Lower; // mean - (float)mean
        sumDyXmu = sumDyX - (centered * sumDy);
        a = invStd * gamma;
        if (batchStatistics)
        {
            Vector256<double> meanG = gamma * sumDy * inverseCount;
            Vector256<double> meanGx = gamma * sumDyXmu * invStd * inverseCount;
            b = -invStd * invStd * meanGx;
            c = (-invStd * meanG) - (b * centered);
        }
        else
        {
            b = Vector256<double>.Zero;
            c = Vector256<double>.Zero;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gradient(
        Vector128<double> sumDy, Vector128<double> sumDyX, Vector128<double> mean, Vector128<double> invStd, Vector128<double> gamma, Vector128<double> inverseCount, bool batchStatistics,
        out Vector128<double> sumDyXmu, out Vector128<double> a, out Vector128<double> b, out Vector128<double> c)
    {
        Vector128<double> centered = mean - Vector128.Widen(Vector128.Narrow(mean, mean)).Lower; // mean - (float)mean
        sumDyXmu = sumDyX - (centered * sumDy);
        a = invStd * gamma;
        if (batchStatistics)
        {
            Vector128<double> meanG = gamma * sumDy * inverseCount;
            Vector128<double> meanGx = gamma * sumDyXmu * invStd * inverseCount;
            b = -invStd * invStd * meanGx;
            c = (-invStd * meanG) - (b * centered);
        }
        else
        {
            b = Vector128<double>.Zero;
            c = Vector128<double>.Zero;
        }
    }

    private static void Require(int length, int channels, string name)
    {
        if (length < channels)
        {
            throw new ArgumentException($"{name} must hold at least one value per channel ({channels}), but it holds {length}.", name);
        }
    }
}
