using System;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// A plain float64 BatchNorm with PyTorch's semantics (torch/nn/modules/batchnorm.py and
/// <c>F.batch_norm</c>, see /work/shared/reference/pytorch-norms.md §1). It shares no code with the
/// generator or the runtime and favours obviousness over speed: every quantity is a double, the
/// statistics are computed in two passes (mean first, then the sum of squared deviations from that
/// double mean), and each formula is written exactly as in the specification.
/// </summary>
/// <remarks>
/// Accuracy of the reference itself: the inputs are float32 values, so every term is exact in double.
/// The mean's rounding error is bounded by about n·2^-53·max|x| / n, i.e. ~1e-16 relative to max|x|;
/// the second pass then sums squares of (x − mean) whose relative error is ~1e-16, so the variance
/// is accurate to ~1e-15 relative even at mean 1e4 and std 1e-2 (the error of the mean enters only
/// squared). That is at least eight orders of magnitude below every tolerance used by the tests.
/// </remarks>
public sealed class ReferenceBatchNorm
{
    /// <summary>Creates the reference for one layer configuration, in its initial state.</summary>
    public ReferenceBatchNorm(int numFeatures, int planeSize, double eps, double momentum, bool cumulativeAverage, bool affine, bool trackRunningStats)
    {
        NumFeatures = numFeatures;
        PlaneSize = planeSize;
        Eps = eps;
        Momentum = momentum;
        CumulativeAverage = cumulativeAverage;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = new double[numFeatures];
        Bias = new double[numFeatures];
        Array.Fill(Weight, 1.0);
        if (trackRunningStats)
        {
            RunningMean = new double[numFeatures];
            RunningVar = new double[numFeatures];
            Array.Fill(RunningVar, 1.0);
        }

        LastCenter = new double[numFeatures];
        LastInvStd = new double[numFeatures];
    }

    /// <summary>C.</summary>
    public int NumFeatures { get; }

    /// <summary>Product of the spatial dimensions (1 for (N, C) inputs).</summary>
    public int PlaneSize { get; }

    /// <summary>eps.</summary>
    public double Eps { get; }

    /// <summary>momentum (ignored when <see cref="CumulativeAverage"/>).</summary>
    public double Momentum { get; }

    /// <summary>PyTorch's momentum=None.</summary>
    public bool CumulativeAverage { get; }

    /// <summary>Whether the layer has weight and bias (without it, weight is 1 and bias is 0).</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics exist.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ (all ones when not affine).</summary>
    public double[] Weight { get; }

    /// <summary>β (all zeros when not affine).</summary>
    public double[] Bias { get; }

    /// <summary>running_mean, or null without tracking.</summary>
    public double[]? RunningMean { get; }

    /// <summary>running_var, or null without tracking.</summary>
    public double[]? RunningVar { get; }

    /// <summary>num_batches_tracked.</summary>
    public long NumBatchesTracked { get; set; }

    /// <summary>Training mode (a new module is in training mode).</summary>
    public bool Training { get; set; } = true;

    /// <summary>The factor m of the last running-statistics update (momentum, or 1/num_batches_tracked).</summary>
    public double LastFactor { get; private set; }

    /// <summary>Per channel, the mean subtracted in the last forward (batch mean or running mean).</summary>
    public double[] LastCenter { get; }

    /// <summary>Per channel, the inverse standard deviation used in the last forward.</summary>
    public double[] LastInvStd { get; }

    /// <summary>Per-channel batch statistics of an (N, C, plane) contiguous input.</summary>
    public sealed record Moments(double[] Mean, double[] BiasedVar, double[] UnbiasedVar, long Count);

    /// <summary>
    /// Two-pass statistics over n = N·plane values per channel: mean = Σx/n, then
    /// biased var = Σ(x−mean)²/n and unbiased var = Σ(x−mean)²/(n−1).
    /// </summary>
    public static Moments ComputeMoments(ReadOnlySpan<float> input, int batch, int channels, int planeSize)
    {
        long n = (long)batch * planeSize;
        var mean = new double[channels];
        var biased = new double[channels];
        var unbiased = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = (b * channels + c) * planeSize;
                for (int p = 0; p < planeSize; p++)
                {
                    sum += input[start + p];
                }
            }

            double mu = sum / n;
            double squares = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = (b * channels + c) * planeSize;
                for (int p = 0; p < planeSize; p++)
                {
                    double d = input[start + p] - mu;
                    squares += d * d;
                }
            }

            mean[c] = mu;
            biased[c] = squares / n;
            unbiased[c] = squares / (n - 1);
        }

        return new Moments(mean, biased, unbiased, n);
    }

    /// <summary>PyTorch's InvStd: 0 when var == 0 and eps == 0, else 1/sqrt(var + eps).</summary>
    public static double InvStd(double variance, double eps)
        => variance == 0 && eps == 0 ? 0 : 1 / Math.Sqrt(variance + eps);

    /// <summary>
    /// One forward pass over a contiguous (N, C, spatial...) input of <paramref name="batch"/> samples.
    /// Follows the decision table of pytorch-norms.md §1.2, with the batch-size check done before any
    /// state change (the NormGen contract; PyTorch increments num_batches_tracked first).
    /// </summary>
    /// <param name="input">The input, N·C·plane values.</param>
    /// <param name="batch">N.</param>
    /// <param name="shapeForMessage">The input shape, only used in the batch-size error message.</param>
    public double[] Forward(ReadOnlySpan<float> input, int batch, string shapeForMessage = "")
    {
        if (input.Length != batch * NumFeatures * PlaneSize)
        {
            throw new ArgumentException("Input length does not match the batch size.", nameof(input));
        }

        bool useBatchStats = Training || !TrackRunningStats;
        if (useBatchStats && (long)batch * PlaneSize == 1)
        {
            throw new ArgumentException($"Expected more than 1 value per channel when training, got input size {shapeForMessage}");
        }

        double factor = Momentum;
        if (Training && TrackRunningStats)
        {
            NumBatchesTracked += 1;
            factor = CumulativeAverage ? 1.0 / NumBatchesTracked : Momentum;
        }

        var output = new double[input.Length];
        if (batch == 0)
        {
            return output;
        }

        if (useBatchStats)
        {
            Moments moments = ComputeMoments(input, batch, NumFeatures, PlaneSize);
            for (int c = 0; c < NumFeatures; c++)
            {
                LastCenter[c] = moments.Mean[c];
                LastInvStd[c] = InvStd(moments.BiasedVar[c], Eps);
            }

            if (Training && TrackRunningStats)
            {
                LastFactor = factor;
                for (int c = 0; c < NumFeatures; c++)
                {
                    RunningMean![c] = (1 - factor) * RunningMean[c] + factor * moments.Mean[c];
                    RunningVar![c] = (1 - factor) * RunningVar[c] + factor * moments.UnbiasedVar[c];
                }
            }
        }
        else
        {
            for (int c = 0; c < NumFeatures; c++)
            {
                LastCenter[c] = RunningMean![c];
                LastInvStd[c] = 1 / Math.Sqrt(RunningVar![c] + Eps);
            }
        }

        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < NumFeatures; c++)
            {
                int start = (b * NumFeatures + c) * PlaneSize;
                for (int p = 0; p < PlaneSize; p++)
                {
                    output[start + p] = (input[start + p] - LastCenter[c]) * LastInvStd[c] * Weight[c] + Bias[c];
                }
            }
        }

        return output;
    }
}
