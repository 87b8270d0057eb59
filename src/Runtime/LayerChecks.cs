using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace NormGen;

/// <summary>
/// Argument validation shared by generated layers. Messages begin with PyTorch's text for the same condition
/// where PyTorch has one. Every check runs before a layer changes any state.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LayerChecks
{
    /// <summary>
    /// Returns the batch size N of a span input, or throws when the lengths do not describe whole samples,
    /// the output differs in length, or the spans overlap partially (the same span for in-place use is fine).
    /// </summary>
    public static int BatchSize(ReadOnlySpan<float> input, ReadOnlySpan<float> output, int sampleSize, ReadOnlySpan<int> sampleShape)
    {
        int inputLength = input.Length;
        int outputLength = output.Length;
        if (inputLength % sampleSize != 0)
        {
            ThrowInputLength(inputLength, sampleSize, sampleShape);
        }

        if (outputLength != inputLength)
        {
            ThrowOutputLength(inputLength, outputLength);
        }

        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
        {
            ThrowPartialOverlap();
        }

        return inputLength / sampleSize;
    }

    /// <summary>
    /// Checks a tensor input against the shape a layer is specialized for, and the output against the input.
    /// </summary>
    /// <param name="input">Input lengths.</param>
    /// <param name="output">Output lengths.</param>
    /// <param name="inputIsDense">Whether the input is contiguous.</param>
    /// <param name="outputIsDense">Whether the output is contiguous.</param>
    /// <param name="sampleShape">The per-sample shape, channels first.</param>
    /// <param name="acceptedRanks">The ranks PyTorch's module accepts (for its message).</param>
    /// <param name="layerName">The layer's class name.</param>
    /// <param name="channelBuffer">The tensor PyTorch names when the channel count is wrong (<c>running_mean</c>, <c>weight</c>), or null.</param>
    public static void TensorShapes(
        ReadOnlySpan<nint> input,
        ReadOnlySpan<nint> output,
        bool inputIsDense,
        bool outputIsDense,
        ReadOnlySpan<int> sampleShape,
        ReadOnlySpan<int> acceptedRanks,
        string layerName,
        string? channelBuffer)
    {
        if (acceptedRanks.IndexOf(input.Length) < 0)
        {
            throw new ArgumentException($"expected {RankList(acceptedRanks)} input (got {input.Length}D input)", nameof(input));
        }

        if (input.Length != sampleShape.Length + 1)
        {
            throw new ArgumentException(
                $"{layerName} is specialized for input of shape {FormatShape(-1, sampleShape)}, but got input of shape {FormatShape(input)}.", nameof(input));
        }

        if (channelBuffer is not null && input[1] != sampleShape[0])
        {
            throw new ArgumentException($"{channelBuffer} should contain {input[1]} elements not {sampleShape[0]}", nameof(input));
        }

        for (int i = 0; i < sampleShape.Length; i++)
        {
            if (input[i + 1] != sampleShape[i])
            {
                throw new ArgumentException(
                    $"{layerName} is specialized for input of shape {FormatShape(-1, sampleShape)}, but got input of shape {FormatShape(input)}.", nameof(input));
            }
        }

        if (!input.SequenceEqual(output))
        {
            throw new ArgumentException($"Expected output of shape {FormatShape(input)} (the input's shape), but got {FormatShape(output)}.", nameof(output));
        }

        if (!inputIsDense || !outputIsDense)
        {
            throw new ArgumentException("Expected dense (contiguous, row-major) input and output tensors.", inputIsDense ? nameof(output) : nameof(input));
        }
    }

    // Throw helpers keep message formatting out of the checks, which run on every call (and, in unoptimized
    // builds, would otherwise allocate the interpolation state even when nothing is thrown).
    [DoesNotReturn]
    private static void ThrowInputLength(int inputLength, int sampleSize, ReadOnlySpan<int> sampleShape) =>
        throw new ArgumentException(
            $"Expected an input length that is a multiple of {sampleSize} (the elements of one sample of shape {FormatShape(-1, sampleShape)}), but got {inputLength}.",
            "input");

    [DoesNotReturn]
    private static void ThrowOutputLength(int inputLength, int outputLength) =>
        throw new ArgumentException($"Expected output length {inputLength} (the same as the input), but got {outputLength}.", "output");

    [DoesNotReturn]
    private static void ThrowPartialOverlap() =>
        throw new ArgumentException("The output overlaps the input at a different offset; pass the same span for in-place use, or non-overlapping spans.", "output");

    /// <summary>Throws PyTorch's error for a batch with a single value per channel while batch statistics are used.</summary>
    [DoesNotReturn]
    public static void ThrowSingleValuePerChannel(int batchSize, ReadOnlySpan<int> sampleShape) =>
        throw new ArgumentException(
            $"Expected more than 1 value per channel when training, got input size {FormatShape(batchSize, sampleShape)}", "input");

    /// <summary>Formats <c>[N, d0, d1, ...]</c>; a negative <paramref name="batchSize"/> prints <c>N</c>.</summary>
    public static string FormatShape(int batchSize, ReadOnlySpan<int> sampleShape)
    {
        var builder = new StringBuilder("[");
        builder.Append(batchSize < 0 ? "N" : batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (int length in sampleShape)
        {
            builder.Append(", ").Append(length);
        }

        return builder.Append(']').ToString();
    }

    private static string FormatShape(ReadOnlySpan<nint> lengths) => TensorExtensions.FormatShape(lengths);

    private static string RankList(ReadOnlySpan<int> ranks)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < ranks.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(i == ranks.Length - 1 ? " or " : ", ");
            }

            builder.Append(ranks[i]).Append('D');
        }

        return builder.ToString();
    }
}
