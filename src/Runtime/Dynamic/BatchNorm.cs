using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NormGen.Dynamic;

/// <summary>
/// Batch normalization (PyTorch's <c>torch.nn.BatchNorm1d/2d/3d</c>) for input shapes known only at run time:
/// any input <c>(N, C, *spatial)</c> of rank 2 or more whose channel count is <see cref="NumFeatures"/>.
/// </summary>
/// <remarks>
/// <para>
/// This is the plain, non-generated path. It computes what the generated layers compute (same two-pass statistics
/// with a shift, same coefficients, same running-statistics update, same error messages where they apply), but with
/// generic <see cref="TensorPrimitives"/> calls over each (sample, channel) plane instead of kernels whose loop
/// bounds are compile-time constants. Use a <c>[BatchNorm2d]</c>-style generated layer when the shape is known at
/// compile time; this class is its reference and baseline.
/// </para>
/// <para>
/// Forward on spans allocates nothing: the per-channel scratch is allocated by the constructor. An instance is not
/// thread-safe. A call that throws leaves the layer unchanged (PyTorch increments <c>num_batches_tracked</c> before it
/// rejects a batch with one value per channel; this class, like the generated layers, checks first).
/// </para>
/// </remarks>
public sealed class BatchNorm
{
    /// <summary>Elements per <see cref="TensorPrimitives"/> call when summing: float partial sums stay accurate over 256 elements and are then added in double.</summary>
    private const int SumChunk = 256;

    /// <summary>Elements per chunk when normalizing (three in-cache passes per chunk).</summary>
    private const int NormalizeChunk = 1024;

    private readonly float[]? _runningMean;
    private readonly float[]? _runningVar;
    private readonly long[] _numBatchesTracked = new long[1];

    // Batch statistics of the last training step, for the running-statistics update.
    private readonly float[] _batchMean;
    private readonly float[] _batchVar;

    // Scratch (per channel): sums of the first pass, deviations and squared deviations from the shift in the
    // second pass, the mean and 1/sqrt(var + eps) (which ChannelMath writes; this layer has no backward to use them),
    // and the coefficients of y = (x - shift) * scale + offset.
    private readonly double[] _sum;
    private readonly double[] _mean;
    private readonly double[] _invStd;
    private readonly double[] _deviation;
    private readonly double[] _squares;
    private readonly float[] _shift;
    private readonly float[] _scale;
    private readonly float[] _offset;

    private readonly (string Name, Parameter Parameter)[] _namedParameters;
    private readonly (string Name, IReadOnlyTensor Buffer)[] _namedBuffers;

    /// <summary>
    /// Creates the layer in training mode with PyTorch's initial values: weight 1, bias 0 (when
    /// <paramref name="affine"/>), running_mean 0, running_var 1, num_batches_tracked 0 (when
    /// <paramref name="trackRunningStats"/>).
    /// </summary>
    /// <param name="numFeatures">Number of channels C (dim 1 of the input); positive.</param>
    /// <param name="eps">Added to the variance for numerical stability; zero or positive, finite.</param>
    /// <param name="momentum">
    /// Weight of the batch statistic in <c>running = (1 - momentum) * running + momentum * batch</c>; between 0 and 1.
    /// Ignored when <paramref name="cumulativeAverage"/> is true.
    /// </param>
    /// <param name="cumulativeAverage">
    /// When true, the running statistics are a cumulative moving average (factor <c>1 / num_batches_tracked</c>),
    /// which is PyTorch's <c>momentum=None</c>.
    /// </param>
    /// <param name="affine">When true, the layer has learnable per-channel <c>weight</c> and <c>bias</c>.</param>
    /// <param name="trackRunningStats">
    /// When true, the layer keeps <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> and uses them in
    /// eval mode; when false, batch statistics are used in both modes.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside the range given above.</exception>
    public BatchNorm(
        int numFeatures,
        double eps = 1e-5,
        double momentum = 0.1,
        bool cumulativeAverage = false,
        bool affine = true,
        bool trackRunningStats = true)
    {
        if (numFeatures <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numFeatures), numFeatures, $"numFeatures (the number of channels C) must be positive, but it is {numFeatures}.");
        }

        if (!double.IsFinite(eps) || eps < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(eps), eps, $"eps must be zero or positive and finite (PyTorch's default is 1e-5), but it is {Format(eps)}.");
        }

        if (double.IsNaN(momentum) || momentum < 0 || momentum > 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(momentum),
                momentum,
                $"momentum must be between 0 and 1 inclusive (PyTorch's default is 0.1; use cumulativeAverage: true for momentum=None), but it is {Format(momentum)}.");
        }

        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        CumulativeAverage = cumulativeAverage;
        Affine = affine;
        TrackRunningStats = trackRunningStats;

        _batchMean = new float[numFeatures];
        _batchVar = new float[numFeatures];
        _sum = new double[numFeatures];
        _mean = new double[numFeatures];
        _invStd = new double[numFeatures];
        _deviation = new double[numFeatures];
        _squares = new double[numFeatures];
        _shift = new float[numFeatures];
        _scale = new float[numFeatures];
        _offset = new float[numFeatures];

        if (affine)
        {
            Weight = new Parameter([numFeatures], weightDecay: false);
            Bias = new Parameter([numFeatures], weightDecay: false);
            _namedParameters = [("weight", Weight), ("bias", Bias)];
        }
        else
        {
            _namedParameters = [];
        }

        if (trackRunningStats)
        {
            _runningMean = new float[numFeatures];
            _runningVar = new float[numFeatures];
            RunningMean = Tensor.Create(_runningMean, [numFeatures]);
            RunningVar = Tensor.Create(_runningVar, [numFeatures]);
            Tensor<long> numBatchesTracked = Tensor.Create(_numBatchesTracked, [1]);
            _namedBuffers = [("running_mean", RunningMean), ("running_var", RunningVar), ("num_batches_tracked", numBatchesTracked)];
        }
        else
        {
            _namedBuffers = [];
        }

        ResetParameters();
    }

    /// <summary>Number of channels C (PyTorch's <c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>Value added to the variance for numerical stability (PyTorch's <c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Weight of the batch statistics in the running-statistics update (PyTorch's <c>momentum</c>); unused when <see cref="CumulativeAverage"/> is set.</summary>
    public double Momentum { get; }

    /// <summary>Whether the running statistics are a cumulative moving average (PyTorch's <c>momentum=None</c>).</summary>
    public bool CumulativeAverage { get; }

    /// <summary>Whether the layer has learnable <see cref="Weight"/> and <see cref="Bias"/> (PyTorch's <c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Whether the layer keeps running statistics (PyTorch's <c>track_running_stats</c>).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>
    /// True in training mode (the initial mode, as in PyTorch). In training mode Forward normalizes with batch statistics
    /// and updates the running statistics; in eval mode it uses the running statistics, or batch statistics when the
    /// layer tracks none.
    /// </summary>
    public bool Training { get; private set; } = true;

    /// <summary>Learnable per-channel scale γ (PyTorch's <c>weight</c>), shape [C], initialized to 1; null when not <see cref="Affine"/>. Excluded from weight decay.</summary>
    public Parameter? Weight { get; }

    /// <summary>Learnable per-channel shift β (PyTorch's <c>bias</c>), shape [C], initialized to 0; null when not <see cref="Affine"/>. Excluded from weight decay.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean per channel (PyTorch's <c>running_mean</c>), shape [C], initialized to 0; null when not <see cref="TrackRunningStats"/>.</summary>
    public Tensor<float>? RunningMean { get; }

    /// <summary>Running unbiased variance per channel (PyTorch's <c>running_var</c>), shape [C], initialized to 1; null when not <see cref="TrackRunningStats"/>.</summary>
    public Tensor<float>? RunningVar { get; }

    /// <summary>Number of training batches seen (PyTorch's <c>num_batches_tracked</c>); always 0 when not <see cref="TrackRunningStats"/>.</summary>
    public long NumBatchesTracked => _numBatchesTracked[0];

    /// <summary>Sets training mode (<paramref name="mode"/> true) or eval mode (false), like PyTorch's <c>train(mode)</c>.</summary>
    /// <returns>This layer.</returns>
    public BatchNorm Train(bool mode = true)
    {
        Training = mode;
        return this;
    }

    /// <summary>Sets eval mode, like PyTorch's <c>eval()</c>.</summary>
    /// <returns>This layer.</returns>
    public BatchNorm Eval() => Train(false);

    /// <summary>The parameters under PyTorch's names, in PyTorch's order (<c>weight</c>, <c>bias</c>; none when not <see cref="Affine"/>). Enumerating allocates nothing.</summary>
    public NamedParameters NamedParameters() => new(_namedParameters);

    /// <summary>
    /// The buffers under PyTorch's names, in PyTorch's order (<c>running_mean</c>, <c>running_var</c>,
    /// <c>num_batches_tracked</c>; none when not <see cref="TrackRunningStats"/>); they share storage with the layer.
    /// Enumerating allocates nothing.
    /// </summary>
    public NamedBuffers NamedBuffers() => new(_namedBuffers);

    /// <summary>
    /// Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0, like PyTorch's <c>reset_running_stats()</c>;
    /// does nothing when not <see cref="TrackRunningStats"/>.
    /// </summary>
    public void ResetRunningStats()
    {
        if (_runningMean is null || _runningVar is null)
        {
            return;
        }

        Array.Clear(_runningMean);
        Array.Fill(_runningVar, 1f);
        _numBatchesTracked[0] = 0;
    }

    /// <summary>
    /// Restores PyTorch's initial values, like its <c>reset_parameters()</c>: the running statistics are reset, and weight
    /// becomes 1 and bias 0.
    /// </summary>
    public void ResetParameters()
    {
        ResetRunningStats();
        Weight?.DataSpan.Fill(1f);
        Bias?.DataSpan.Clear();
    }

    /// <summary>Applies the layer to <paramref name="input"/> of shape <c>(N, C, *spatial)</c> and returns a new output tensor of the same shape.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The rank is below 2, dim 1 is not <see cref="NumFeatures"/> (messages as PyTorch's), the input is not dense, or batch
    /// statistics are needed and there is only one value per channel.
    /// </exception>
    public Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(input.Lengths);
        Tensor<float> output = Tensor.CreateFromShape<float>(input.Lengths);
        Forward(input.AsReadOnlyTensorSpan(), output.AsTensorSpan());
        return output;
    }

    /// <summary>
    /// Applies the layer to a dense tensor of shape <c>(N, C, *spatial)</c> (rank 2 or more), writing <paramref name="output"/>
    /// (same shape; may be the same memory as the input). Allocates nothing. A call that throws leaves the layer unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The rank is below 2, dim 1 is not <see cref="NumFeatures"/> (messages as PyTorch's), the output's shape differs, a
    /// tensor is not dense, the tensors overlap partially, or batch statistics are needed and there is only one value per
    /// channel.
    /// </exception>
    public void Forward(ReadOnlyTensorSpan<float> input, TensorSpan<float> output)
    {
        ReadOnlySpan<nint> lengths = input.Lengths;
        CheckShapes(lengths, output.Lengths, input.IsDense, output.IsDense);
        if (input.FlattenedLength > int.MaxValue)
        {
            throw new ArgumentException($"Expected at most {int.MaxValue} elements, but got input of shape {TensorExtensions.FormatShape(lengths)}.", nameof(input));
        }

        int length = (int)input.FlattenedLength;
        ReadOnlySpan<float> x = MemoryMarshal.CreateReadOnlySpan(in input.GetPinnableReference(), length);
        Span<float> y = MemoryMarshal.CreateSpan(ref output.GetPinnableReference(), length);
        if (x.Overlaps(y, out int elementOffset) && elementOffset != 0)
        {
            throw new ArgumentException("The output overlaps the input at a different offset; pass the same span for in-place use, or non-overlapping spans.", nameof(output));
        }

        int batch = (int)lengths[0];

        // Values per channel in one sample (product of the spatial lengths). With no elements it is irrelevant, and
        // N * plane == 1 implies length == C > 0.
        int planeSize = length == 0 ? 0 : length / batch / NumFeatures;
        bool batchStatistics = Training || _runningMean is null;
        if (batchStatistics && length != 0 && batch == 1 && planeSize == 1)
        {
            ThrowSingleValuePerChannel(lengths);
        }

        if (Training && _runningMean is not null)
        {
            _numBatchesTracked[0]++;
        }

        if (length == 0)
        {
            return; // PyTorch: empty output, running statistics untouched (num_batches_tracked still counts the batch)
        }

        if (batchStatistics)
        {
            ComputeBatchStatistics(x, batch, planeSize);
            if (Training && _runningMean is not null)
            {
                UpdateRunningStatistics();
            }
        }
        else
        {
            UseRunningStatistics();
        }

        Normalize(x, y, batch, planeSize);
    }

    /// <summary>
    /// Batch statistics per channel in two passes: the first finds a float shift close to the mean, the second sums
    /// deviations and squared deviations from that shift (float sums over chunks of at most <see cref="SumChunk"/>
    /// elements, added in double), which gives mean and variance without cancellation; then the coefficients of
    /// y = (x - shift) * scale + offset.
    /// </summary>
    private void ComputeBatchStatistics(ReadOnlySpan<float> input, int batch, int planeSize)
    {
        int channels = NumFeatures;
        double count = (double)batch * planeSize;
        Array.Clear(_sum);
        Array.Clear(_deviation);
        Array.Clear(_squares);

        int plane = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++, plane += planeSize)
            {
                ReadOnlySpan<float> values = input.Slice(plane, planeSize);
                double sum = 0;
                for (int i = 0; i < values.Length; i += SumChunk)
                {
                    sum += TensorPrimitives.Sum(values.Slice(i, Math.Min(SumChunk, values.Length - i)));
                }

                _sum[c] += sum;
            }
        }

        for (int c = 0; c < channels; c++)
        {
            _shift[c] = (float)(_sum[c] / count);
        }

        Span<float> deviations = stackalloc float[SumChunk];
        plane = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++, plane += planeSize)
            {
                ReadOnlySpan<float> values = input.Slice(plane, planeSize);
                float shift = _shift[c];
                double deviation = 0;
                double squares = 0;
                for (int i = 0; i < values.Length; i += SumChunk)
                {
                    Span<float> d = deviations[..Math.Min(SumChunk, values.Length - i)];
                    TensorPrimitives.Subtract(values.Slice(i, d.Length), shift, d);
                    deviation += TensorPrimitives.Sum(d);
                    squares += TensorPrimitives.SumOfSquares(d);
                }

                _deviation[c] += deviation;
                _squares[c] += squares;
            }
        }

        // The shift is the plain mean, so the sums never need the generated layers' two-pass redo.
        ReadOnlySpan<float> weight = Weight is null ? default : Weight.DataSpan;
        ReadOnlySpan<float> bias = Bias is null ? default : Bias.DataSpan;
        ChannelMath.BatchCoefficients(_deviation, _squares, _shift, weight, bias, count, Eps, _mean, _invStd, _batchMean, _batchVar, _scale, _offset);
    }

    /// <summary>running = (1 - m) * running + m * batch, in float like PyTorch's CPU kernel.</summary>
    private void UpdateRunningStatistics()
    {
        float[] runningMean = _runningMean!;
        float[] runningVar = _runningVar!;
        float momentum = CumulativeAverage
            ? (float)(1.0 / _numBatchesTracked[0]) // cumulative moving average (PyTorch's momentum=None)
            : (float)Momentum;
        ChannelMath.UpdateRunning(runningMean, _batchMean, momentum);
        ChannelMath.UpdateRunning(runningVar, _batchVar, momentum);
    }

    /// <summary>Eval mode: normalize with the running statistics, y = (x - running_mean) * weight / sqrt(running_var + eps) + bias.</summary>
    private void UseRunningStatistics()
    {
        float[] runningMean = _runningMean!;
        float[] runningVar = _runningVar!;
        ReadOnlySpan<float> weight = Weight is null ? default : Weight.DataSpan;
        ReadOnlySpan<float> bias = Bias is null ? default : Bias.DataSpan;
        ChannelMath.RunningCoefficients(runningMean, runningVar, weight, bias, Eps, _mean, _invStd, _shift, _scale, _offset);
    }

    /// <summary>y = (x - shift) * scale + offset per plane with the coefficients prepared for this call.</summary>
    private void Normalize(ReadOnlySpan<float> input, Span<float> output, int batch, int planeSize)
    {
        int channels = NumFeatures;
        int plane = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++, plane += planeSize)
            {
                ReadOnlySpan<float> x = input.Slice(plane, planeSize);
                Span<float> y = output.Slice(plane, planeSize);
                float shift = _shift[c];
                float scale = _scale[c];
                float offset = _offset[c];
                for (int i = 0; i < x.Length; i += NormalizeChunk)
                {
                    int count = Math.Min(NormalizeChunk, x.Length - i);
                    Span<float> chunk = y.Slice(i, count);
                    TensorPrimitives.Subtract(x.Slice(i, count), shift, chunk);
                    TensorPrimitives.Multiply(chunk, scale, chunk);
                    TensorPrimitives.Add(chunk, offset, chunk);
                }
            }
        }
    }

    private static void CheckRank(ReadOnlySpan<nint> input)
    {
        if (input.Length < 2)
        {
            throw new ArgumentException($"expected 2D or higher input (got {input.Length}D input)", nameof(input));
        }
    }

    /// <summary>The checks of <see cref="LayerChecks.TensorShapes"/>, with the same messages, for a shape known only at run time.</summary>
    private void CheckShapes(ReadOnlySpan<nint> input, ReadOnlySpan<nint> output, bool inputIsDense, bool outputIsDense)
    {
        CheckRank(input);
        if (input[1] != NumFeatures)
        {
            if (TrackRunningStats || Affine)
            {
                string tensor = TrackRunningStats ? "running_mean" : "weight";
                throw new ArgumentException($"{tensor} should contain {input[1]} elements not {NumFeatures}", nameof(input));
            }

            // PyTorch would accept any C here (it has nothing to compare it with); the per-channel scratch of this layer is sized to NumFeatures.
            throw new ArgumentException(
                $"Expected input with {NumFeatures} channels in dim 1 (num_features), but got input of shape {TensorExtensions.FormatShape(input)}.", nameof(input));
        }

        LayerChecks.OutputMatches(input, output, inputIsDense, outputIsDense);
    }

    /// <summary>PyTorch's error for a batch with a single value per channel while batch statistics are used (as <see cref="LayerChecks.ThrowSingleValuePerChannel"/>).</summary>
    [DoesNotReturn]
    private static void ThrowSingleValuePerChannel(ReadOnlySpan<nint> input) =>
        throw new ArgumentException(
            $"Expected more than 1 value per channel when training, got input size {TensorExtensions.FormatShape(input)}", nameof(input));

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
