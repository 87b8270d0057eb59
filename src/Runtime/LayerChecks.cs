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
    /// <param name="rank">How PyTorch's module checks the rank, for its message.</param>
    /// <param name="acceptedRanks">The ranks PyTorch's module accepts, for <see cref="RankRule.Listed"/>.</param>
    /// <param name="layerName">The layer's class name.</param>
    /// <param name="channels">Which of PyTorch's messages a wrong channel count produces.</param>
    public static void TensorShapes(
        ReadOnlySpan<nint> input,
        ReadOnlySpan<nint> output,
        bool inputIsDense,
        bool outputIsDense,
        ReadOnlySpan<int> sampleShape,
        RankRule rank,
        ReadOnlySpan<int> acceptedRanks,
        string layerName,
        ChannelRule channels)
    {
        switch (rank)
        {
            case RankRule.Listed or RankRule.ListedOrUnbatched when acceptedRanks.IndexOf(input.Length) < 0:
                throw new ArgumentException($"expected {RankList(acceptedRanks)} input (got {input.Length}D input)", nameof(input));
            case RankRule.AtLeastTwo when input.Length < 2:
                throw new ArgumentException($"Expected at least 2 dimensions for input tensor but received {input.Length}", nameof(input));
            case RankRule.AtLeastThree when input.Length < 3:
                // PyTorch's text, including the spaces its source's line continuation puts in the literal.
                throw new ArgumentException($"Expected 3D or higher dimensionality                          input (got {input.Length} dimensions)", nameof(input));
        }

        int batchDims = input.Length - sampleShape.Length;
        if (batchDims != 1 && !(batchDims == 0 && rank == RankRule.ListedOrUnbatched))
        {
            ThrowSpecialized(layerName, sampleShape, input);
        }

        if (input[batchDims] != sampleShape[0])
        {
            switch (channels)
            {
                case ChannelRule.RunningMean:
                    throw new ArgumentException($"running_mean should contain {input[batchDims]} elements not {sampleShape[0]}", nameof(input));
                case ChannelRule.Weight:
                    throw new ArgumentException($"weight should contain {input[batchDims]} elements not {sampleShape[0]}", nameof(input));
                case ChannelRule.InstanceNormAffine:
                    throw new ArgumentException($"expected input's size at dim={batchDims} to match num_features ({sampleShape[0]}), but got: {input[batchDims]}.", nameof(input));
                case ChannelRule.GroupNormWeight:
                    throw new ArgumentException(
                        $"Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [{sampleShape[0]}] and input of shape {FormatShape(input)}", nameof(input));
            }
        }

        for (int i = 0; i < sampleShape.Length; i++)
        {
            if (input[batchDims + i] != sampleShape[i])
            {
                ThrowSpecialized(layerName, sampleShape, input);
            }
        }

        OutputMatches(input, output, inputIsDense, outputIsDense);
    }

    /// <summary>Checks a LayerNorm/RMSNorm input <c>(*, normalizedShape...)</c> and the output against it.</summary>
    public static void RowShapes(ReadOnlySpan<nint> input, ReadOnlySpan<nint> output, bool inputIsDense, bool outputIsDense, ReadOnlySpan<int> normalizedShape)
    {
        bool matches = input.Length >= normalizedShape.Length;
        for (int i = 0; matches && i < normalizedShape.Length; i++)
        {
            matches = input[input.Length - normalizedShape.Length + i] == normalizedShape[i];
        }

        if (!matches)
        {
            string shape = string.Join(", ", normalizedShape.ToArray());
            throw new ArgumentException(
                $"Given normalized_shape=[{shape}], expected input with shape [*, {shape}], but got input of size{FormatShape(input)}", nameof(input));
        }

        OutputMatches(input, output, inputIsDense, outputIsDense);
    }

    /// <summary>Checks that the output has the input's shape and that both tensors are dense.</summary>
    public static void OutputMatches(ReadOnlySpan<nint> input, ReadOnlySpan<nint> output, bool inputIsDense, bool outputIsDense)
    {
        if (!input.SequenceEqual(output))
        {
            throw new ArgumentException($"Expected output of shape {FormatShape(input)} (the input's shape), but got {FormatShape(output)}.", nameof(output));
        }

        if (!inputIsDense || !outputIsDense)
        {
            throw new ArgumentException("Expected dense (contiguous, row-major) input and output tensors.", inputIsDense ? nameof(output) : nameof(input));
        }
    }

    [DoesNotReturn]
    private static void ThrowSpecialized(string layerName, ReadOnlySpan<int> sampleShape, ReadOnlySpan<nint> input) =>
        throw new ArgumentException(
            $"{layerName} is specialized for input of shape {FormatShape(-1, sampleShape)}, but got input of shape {FormatShape(input)}.", nameof(input));

    /// <summary>Throws GroupNorm's error for one value per group: PyTorch checks the size <c>[N * C / G, G, spatial...]</c>.</summary>
    [DoesNotReturn]
    public static void ThrowSingleValuePerGroup(int batchSize, int channels, int groups, ReadOnlySpan<int> spatial)
    {
        int[] shape = new int[spatial.Length + 1];
        shape[0] = groups;
        spatial.CopyTo(shape.AsSpan(1));
        throw new ArgumentException(
            $"Expected more than 1 value per channel when training, got input size {FormatShape(batchSize * channels / groups, shape)}", "input");
    }

    /// <summary>Throws InstanceNorm's error for a single spatial element while instance statistics are used.</summary>
    [DoesNotReturn]
    public static void ThrowSingleSpatialElement(int batchSize, ReadOnlySpan<int> sampleShape) =>
        throw new ArgumentException(
            $"Expected more than 1 spatial element when training, got input size {FormatShape(batchSize, sampleShape)}", "input");

    /// <summary>
    /// Checks the arguments of Backward: the gradient of the output has the input's length (or shape) and the last
    /// Forward saw the same batch size.
    /// </summary>
    /// <param name="gradOutputLength">Length of the output gradient.</param>
    /// <param name="inputLength">Length of the input.</param>
    /// <param name="batchSize">N of this call.</param>
    /// <param name="savedBatchSize">N of the last Forward, or -1 when there was none.</param>
    public static void Backward(int gradOutputLength, int inputLength, int batchSize, int savedBatchSize)
    {
        if (gradOutputLength != inputLength)
        {
            ThrowGradOutputLength(inputLength, gradOutputLength);
        }

        if (savedBatchSize != batchSize)
        {
            ThrowNoMatchingForward(batchSize, savedBatchSize);
        }
    }

    /// <summary>Checks that the output gradient of a tensor Backward has the input's shape.</summary>
    public static void GradientShape(ReadOnlySpan<nint> input, ReadOnlySpan<nint> gradOutput, bool gradOutputIsDense)
    {
        if (!input.SequenceEqual(gradOutput))
        {
            throw new ArgumentException($"Expected gradOutput of shape {FormatShape(input)} (the input's shape), but got {FormatShape(gradOutput)}.", nameof(gradOutput));
        }

        if (!gradOutputIsDense)
        {
            throw new ArgumentException("Expected a dense (contiguous, row-major) gradOutput tensor.", nameof(gradOutput));
        }
    }

    [DoesNotReturn]
    private static void ThrowGradOutputLength(int inputLength, int gradOutputLength) =>
        throw new ArgumentException($"Expected gradOutput length {inputLength} (the same as the input), but got {gradOutputLength}.", "gradOutput");

    [DoesNotReturn]
    private static void ThrowNoMatchingForward(int batchSize, int savedBatchSize) =>
        throw new InvalidOperationException(savedBatchSize < 0
            ? "Backward needs the statistics of a matching Forward, but Forward has not been called on this layer."
            : $"Backward needs the statistics of a matching Forward: the last Forward had a batch of {savedBatchSize}, but Backward got a batch of {batchSize}.");

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

/// <summary>How PyTorch's module checks the input rank (which message a wrong rank produces).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum RankRule
{
    /// <summary>One of a list of ranks: "expected 2D or 3D input (got 4D input)".</summary>
    Listed,

    /// <summary>Like <see cref="Listed"/>, and the unbatched form (rank of one sample) means N = 1 (InstanceNorm).</summary>
    ListedOrUnbatched,

    /// <summary>At least 2 dimensions (GroupNorm).</summary>
    AtLeastTwo,

    /// <summary>At least 3 dimensions (LocalResponseNorm).</summary>
    AtLeastThree,
}

/// <summary>Which PyTorch message a wrong channel count produces.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum ChannelRule
{
    /// <summary>No PyTorch message: the specialization message.</summary>
    Specialized,

    /// <summary>"running_mean should contain 3 elements not 4" (BatchNorm with running statistics).</summary>
    RunningMean,

    /// <summary>"weight should contain 3 elements not 4" (BatchNorm with affine only).</summary>
    Weight,

    /// <summary>"expected input's size at dim=1 to match num_features (4), but got: 3." (InstanceNorm with affine).</summary>
    InstanceNormAffine,

    /// <summary>"Expected weight to be a vector of size equal to the number of channels in input, ..." (GroupNorm with affine).</summary>
    GroupNormWeight,
}
