using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>Reductions over <see cref="Tensor{T}"/> with PyTorch's semantics, for tests and the non-generated paths.</summary>
public static class TensorMath
{
    /// <summary>
    /// The mean over the dimensions <paramref name="dims"/>, like <c>torch.mean(input, dims, keepdim)</c>. Sums are
    /// accumulated in double and each result is rounded to float once.
    /// </summary>
    /// <param name="input">The tensor to reduce; it may be strided (not dense).</param>
    /// <param name="dims">
    /// The dimensions to reduce, each in <c>[-rank, rank - 1]</c> (negative values count from the end), without repeats.
    /// Empty means every dimension, as in PyTorch.
    /// </param>
    /// <param name="keepDim">
    /// When true, reduced dimensions stay with length 1; when false they are removed. <see cref="Tensor{T}"/> has no
    /// rank-0 form, so reducing every dimension without <paramref name="keepDim"/> gives shape <c>[1]</c> where PyTorch
    /// gives a 0-d tensor.
    /// </param>
    /// <returns>
    /// A new dense tensor. For example, the mean over (0, 2, 3) of a (1, 2, 3, 4) tensor has shape [1, 2, 1, 1] with
    /// <paramref name="keepDim"/> and [2] without. A mean over zero elements is NaN, as in PyTorch.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is outside <c>[-rank, rank - 1]</c>.</exception>
    /// <exception cref="ArgumentException">A dimension appears more than once in <paramref name="dims"/>.</exception>
    public static Tensor<float> Mean(Tensor<float> input, ReadOnlySpan<int> dims, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        int rank = input.Rank;
        ReadOnlySpan<nint> lengths = input.Lengths;
        ReadOnlySpan<nint> strides = input.Strides;

        bool[] reduced = new bool[rank];
        if (dims.IsEmpty)
        {
            reduced.AsSpan().Fill(true);
        }

        foreach (int dim in dims)
        {
            if (dim < -rank || dim >= rank)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(dims), dim, $"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})");
            }

            int d = dim < 0 ? dim + rank : dim;
            if (reduced[d])
            {
                throw new ArgumentException($"dim {d} appears multiple times in the list of dims", nameof(dims));
            }

            reduced[d] = true;
        }

        // Output shape, and for every input dimension the step it makes in the (row-major) output: 0 when reduced.
        var outputLengths = new nint[rank];
        int outputRank = 0;
        double count = 1;
        for (int d = 0; d < rank; d++)
        {
            if (reduced[d])
            {
                count *= lengths[d];
                if (keepDim)
                {
                    outputLengths[outputRank++] = 1;
                }
            }
            else
            {
                outputLengths[outputRank++] = lengths[d];
            }
        }

        if (outputRank == 0)
        {
            outputLengths[outputRank++] = 1;
        }

        var outputSteps = new nint[rank];
        nint step = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (!reduced[d])
            {
                outputSteps[d] = step;
                step *= lengths[d];
            }
        }

        var sums = new double[checked((int)step)];
        if (input.FlattenedLength > 0)
        {
            Accumulate(ref input.GetPinnableReference(), lengths, strides, outputSteps, sums);
        }

        var result = new float[sums.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (float)(sums[i] / count); // 0 / 0 = NaN for a mean over no elements
        }

        return Tensor.Create(result, outputLengths.AsSpan(0, outputRank));
    }

    /// <summary>Adds every element (addressed through <paramref name="strides"/>) into its output slot, walking the indices like an odometer.</summary>
    private static void Accumulate(ref float origin, ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, ReadOnlySpan<nint> outputSteps, double[] sums)
    {
        int rank = lengths.Length;
        int last = rank - 1;
        nint innerLength = lengths[last];
        nint innerStride = strides[last];
        nint innerStep = outputSteps[last];
        var index = new nint[rank];
        nint offset = 0; // element offset of index[0..last) with index[last] = 0
        nint slot = 0; // output slot of the same
        while (true)
        {
            nint o = offset;
            nint s = slot;
            for (nint i = 0; i < innerLength; i++, o += innerStride, s += innerStep)
            {
                sums[s] += Unsafe.Add(ref origin, o);
            }

            // Advance the outer indices.
            int d = last - 1;
            for (; d >= 0; d--)
            {
                index[d]++;
                offset += strides[d];
                slot += outputSteps[d];
                if (index[d] < lengths[d])
                {
                    break;
                }

                offset -= strides[d] * lengths[d];
                slot -= outputSteps[d] * lengths[d];
                index[d] = 0;
            }

            if (d < 0)
            {
                return;
            }
        }
    }
}
