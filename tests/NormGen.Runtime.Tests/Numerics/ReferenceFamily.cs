using System;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// Plain float64 references for the rest of the normalization family (pytorch-norms.md §2.1–2.5): LayerNorm,
/// RMSNorm, GroupNorm, InstanceNorm and LocalResponseNorm. Like <see cref="ReferenceBatchNorm"/> they share no
/// code with the generator or the runtime, compute every quantity in double, take statistics in two passes (mean,
/// then squared deviations from the double mean) and write each formula as the specification states it.
/// </summary>
/// <remarks>
/// <para>Accuracy of the references: every input is a float32 value and therefore exact in double, so the means are
/// accurate to ~1e-16 of max|x| and the variances to ~1e-15 relative even at mean 1e4 and std 1e-2 (the mean's error
/// enters the second pass only squared). That is far below every tolerance of the tests.</para>
/// <para>Besides the output, each reference returns a per-element <i>output scale</i> for the tolerances
/// (see <see cref="Result"/>).</para>
/// </remarks>
public static class ReferenceFamily
{
    /// <summary>
    /// A reference output. <see cref="Scale"/>[i] is the size of the quantities the layer rounds while computing
    /// element i: for the mean/variance layers <c>|γ_i|·max|x̂| + |β_i|</c>, with max|x̂| the largest finite
    /// normalized value of the element's statistics slot (row, (sample, group) or (sample, channel)); for
    /// LocalResponseNorm <c>|y_i|</c>. Tolerances are relative to it (see <see cref="FamilyCompare"/>).
    /// </summary>
    public sealed record Result(double[] Output, double[] Scale);

    /// <summary>Statistics of consecutive contiguous slots of equal length.</summary>
    /// <param name="Mean">Per slot: Σx/n.</param>
    /// <param name="BiasedVar">Per slot: Σ(x − mean)²/n.</param>
    /// <param name="UnbiasedVar">Per slot: Σ(x − mean)²/(n − 1) (NaN-free only for n ≥ 2).</param>
    public sealed record SlotMoments(double[] Mean, double[] BiasedVar, double[] UnbiasedVar);

    /// <summary>Two-pass moments of each slot of <paramref name="slotLength"/> contiguous values.</summary>
    public static SlotMoments Moments(ReadOnlySpan<float> x, int slotLength)
    {
        int slots = x.Length / slotLength;
        var mean = new double[slots];
        var biased = new double[slots];
        var unbiased = new double[slots];
        for (int s = 0; s < slots; s++)
        {
            ReadOnlySpan<float> slot = x.Slice(s * slotLength, slotLength);
            double sum = 0;
            foreach (float v in slot)
            {
                sum += v;
            }

            double mu = sum / slotLength;
            double squares = 0;
            foreach (float v in slot)
            {
                double d = v - mu;
                squares += d * d;
            }

            mean[s] = mu;
            biased[s] = squares / slotLength;
            unbiased[s] = squares / (slotLength - 1);
        }

        return new SlotMoments(mean, biased, unbiased);
    }

    /// <summary>Per slot: Σx²/n (RMSNorm's mean square).</summary>
    public static double[] MeanSquares(ReadOnlySpan<float> x, int slotLength)
    {
        int slots = x.Length / slotLength;
        var result = new double[slots];
        for (int s = 0; s < slots; s++)
        {
            double squares = 0;
            foreach (float v in x.Slice(s * slotLength, slotLength))
            {
                squares += (double)v * v;
            }

            result[s] = squares / slotLength;
        }

        return result;
    }

    /// <summary>
    /// LayerNorm over rows of <paramref name="rowSize"/> (the flattened normalized shape): per row the biased variance,
    /// rstd = 1/√(var + eps) (PyTorch's LayerNorm has no zero rule: var = eps = 0 gives ∞, hence NaN), then
    /// y = (x − mean)·rstd·weight_i + bias_i with elementwise weight and bias of the full normalized shape.
    /// </summary>
    /// <param name="weight">γ of length <paramref name="rowSize"/>, or null (1).</param>
    /// <param name="bias">β of length <paramref name="rowSize"/>, or null (0).</param>
    public static Result LayerNorm(ReadOnlySpan<float> x, int rowSize, double eps, double[]? weight, double[]? bias)
    {
        SlotMoments moments = Moments(x, rowSize);
        var y = new double[x.Length];
        var scale = new double[x.Length];
        for (int r = 0; r < moments.Mean.Length; r++)
        {
            double invStd = 1 / Math.Sqrt(moments.BiasedVar[r] + eps);
            double maxAbsXHat = MaxAbsNormalized(x.Slice(r * rowSize, rowSize), moments.Mean[r], invStd);
            for (int i = 0; i < rowSize; i++)
            {
                int at = r * rowSize + i;
                double gamma = weight?[i] ?? 1.0, beta = bias?[i] ?? 0.0;
                y[at] = (x[at] - moments.Mean[r]) * invStd * gamma + beta;
                scale[at] = Math.Abs(gamma) * maxAbsXHat + Math.Abs(beta);
            }
        }

        return new Result(y, scale);
    }

    /// <summary>RMSNorm over rows: y = x · rsqrt(mean(x²) + eps) · weight_i. No mean subtraction, no bias.</summary>
    /// <param name="weight">γ of length <paramref name="rowSize"/>, or null (1).</param>
    public static Result RmsNorm(ReadOnlySpan<float> x, int rowSize, double eps, double[]? weight)
    {
        double[] meanSquares = MeanSquares(x, rowSize);
        var y = new double[x.Length];
        var scale = new double[x.Length];
        for (int r = 0; r < meanSquares.Length; r++)
        {
            double invRms = 1 / Math.Sqrt(meanSquares[r] + eps);
            double maxAbsXHat = MaxAbsNormalized(x.Slice(r * rowSize, rowSize), 0, invRms);
            for (int i = 0; i < rowSize; i++)
            {
                int at = r * rowSize + i;
                double gamma = weight?[i] ?? 1.0;
                y[at] = x[at] * invRms * gamma;
                scale[at] = Math.Abs(gamma) * maxAbsXHat;
            }
        }

        return new Result(y, scale);
    }

    /// <summary>
    /// GroupNorm on a contiguous (N, C, plane) input: statistics per (n, g) over the C/G channels of the group times the
    /// plane (biased variance), rstd = 1/√(var + eps), then the per-channel affine y = (x − mean)·rstd·γ_c + β_c.
    /// </summary>
    /// <param name="weight">γ per channel, or null (1).</param>
    /// <param name="bias">β per channel, or null (0).</param>
    public static Result GroupNorm(ReadOnlySpan<float> x, int channels, int groups, int planeSize, double eps, double[]? weight, double[]? bias)
    {
        int perGroup = channels / groups;
        int slotLength = perGroup * planeSize;
        SlotMoments moments = Moments(x, slotLength);
        var y = new double[x.Length];
        var scale = new double[x.Length];
        for (int slot = 0; slot < moments.Mean.Length; slot++)
        {
            int g = slot % groups;
            double invStd = 1 / Math.Sqrt(moments.BiasedVar[slot] + eps);
            double maxAbsXHat = MaxAbsNormalized(x.Slice(slot * slotLength, slotLength), moments.Mean[slot], invStd);
            for (int j = 0; j < perGroup; j++)
            {
                int c = g * perGroup + j;
                double gamma = weight?[c] ?? 1.0, beta = bias?[c] ?? 0.0;
                for (int p = 0; p < planeSize; p++)
                {
                    int at = slot * slotLength + j * planeSize + p;
                    y[at] = (x[at] - moments.Mean[slot]) * invStd * gamma + beta;
                    scale[at] = Math.Abs(gamma) * maxAbsXHat + Math.Abs(beta);
                }
            }
        }

        return new Result(y, scale);
    }

    /// <summary>
    /// LocalResponseNorm on a contiguous (N, C, plane) input, written as PyTorch computes it: the squares are
    /// zero-padded along C with ⌊size/2⌋ channels before and ⌊(size−1)/2⌋ after, averaged over a window of
    /// <paramref name="size"/> channels (the divisor is always size, edges included), and
    /// b_c = a_c / (k + α·avg_c)^β.
    /// </summary>
    public static Result LocalResponseNorm(ReadOnlySpan<float> x, int channels, int planeSize, int size, double alpha, double beta, double k)
    {
        int before = size / 2, after = (size - 1) / 2;
        int sampleSize = channels * planeSize;
        int batch = x.Length / sampleSize;
        var y = new double[x.Length];
        var scale = new double[x.Length];
        var padded = new double[channels + before + after]; // squares of one (n, plane position) column, zero-padded
        for (int n = 0; n < batch; n++)
        {
            for (int p = 0; p < planeSize; p++)
            {
                Array.Clear(padded);
                for (int c = 0; c < channels; c++)
                {
                    double a = x[n * sampleSize + c * planeSize + p];
                    padded[before + c] = a * a;
                }

                for (int c = 0; c < channels; c++)
                {
                    // Output channel c averages padded[c .. c + size − 1], i.e. input channels c − before .. c + after.
                    double sum = 0;
                    for (int w = 0; w < size; w++)
                    {
                        sum += padded[c + w];
                    }

                    double average = sum / size;
                    int at = n * sampleSize + c * planeSize + p;
                    y[at] = x[at] / Math.Pow(k + alpha * average, beta);
                    scale[at] = Math.Abs(y[at]);
                }
            }
        }

        return new Result(y, scale);
    }

    /// <summary>
    /// The largest finite |(x − center)·invStd| of a slot (0 if there is none). Non-finite x are skipped: their outputs
    /// are NaN or ±∞ and are matched exactly.
    /// </summary>
    public static double MaxAbsNormalized(ReadOnlySpan<float> slot, double center, double invStd)
    {
        double max = 0;
        foreach (float v in slot)
        {
            double xHat = Math.Abs((v - center) * invStd);
            if (double.IsFinite(xHat))
            {
                max = Math.Max(max, xHat);
            }
        }

        return max;
    }
}

/// <summary>
/// A float64 InstanceNorm1d/2d/3d with PyTorch's semantics (pytorch-norms.md §2.3): ATen's <c>instance_norm</c>
/// reshapes (N, C, *) to (1, N·C, *) and calls batch_norm with the running statistics repeated N times, then writes
/// back the mean over the N copies. Hence: statistics per (n, c) over the plane; in training with running statistics
/// running = (1 − m)·running + m·mean_n(stat_n) with the per-sample variance unbiased; num_batches_tracked is never
/// incremented; eval with running statistics normalizes with them; without running statistics the instance
/// statistics are used in both modes. Since the normalization is batch_norm's, the inverse std of the instance
/// statistics follows batch_norm's InvStd rule (0 when var = eps = 0, see <see cref="ReferenceBatchNorm.InvStd"/>);
/// eval with running statistics uses 1/√(running_var + eps).
/// </summary>
public sealed class ReferenceInstanceNorm
{
    /// <summary>Creates the reference in PyTorch's initial state (γ 1, β 0, running_mean 0, running_var 1).</summary>
    public ReferenceInstanceNorm(int channels, int planeSize, double eps, double momentum, bool affine, bool trackRunningStats)
    {
        Channels = channels;
        PlaneSize = planeSize;
        Eps = eps;
        Momentum = momentum;
        Weight = affine ? Filled(channels, 1.0) : null;
        Bias = affine ? new double[channels] : null;
        RunningMean = trackRunningStats ? new double[channels] : null;
        RunningVar = trackRunningStats ? Filled(channels, 1.0) : null;
    }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>Product of the spatial lengths.</summary>
    public int PlaneSize { get; }

    /// <summary>eps.</summary>
    public double Eps { get; }

    /// <summary>momentum.</summary>
    public double Momentum { get; }

    /// <summary>γ per channel, or null without affine.</summary>
    public double[]? Weight { get; }

    /// <summary>β per channel, or null without affine.</summary>
    public double[]? Bias { get; }

    /// <summary>running_mean, or null without tracking.</summary>
    public double[]? RunningMean { get; }

    /// <summary>running_var, or null without tracking.</summary>
    public double[]? RunningVar { get; }

    /// <summary>num_batches_tracked: InstanceNorm never increments it.</summary>
    public long NumBatchesTracked => 0;

    /// <summary>Training mode (a new module trains).</summary>
    public bool Training { get; set; } = true;

    /// <summary>Per (n, c) statistics of the last forward that used instance statistics, else null.</summary>
    public ReferenceFamily.SlotMoments? LastMoments { get; private set; }

    /// <summary>One forward over a contiguous (N, C, plane) input of <paramref name="batch"/> samples.</summary>
    public ReferenceFamily.Result Forward(ReadOnlySpan<float> x, int batch)
    {
        if (x.Length != batch * Channels * PlaneSize)
        {
            throw new ArgumentException("Input length does not match the batch size.", nameof(x));
        }

        bool useInputStats = Training || RunningMean is null;
        if (useInputStats && PlaneSize == 1)
        {
            throw new ArgumentException("Expected more than 1 spatial element when training");
        }

        var y = new double[x.Length];
        var scale = new double[x.Length];
        var centers = new double[batch * Channels];
        var invStds = new double[batch * Channels];
        LastMoments = null;
        if (useInputStats)
        {
            ReferenceFamily.SlotMoments moments = ReferenceFamily.Moments(x, PlaneSize);
            LastMoments = moments;
            for (int slot = 0; slot < batch * Channels; slot++)
            {
                centers[slot] = moments.Mean[slot];
                invStds[slot] = ReferenceBatchNorm.InvStd(moments.BiasedVar[slot], Eps);
            }

            if (Training && RunningMean is not null && batch > 0)
            {
                for (int c = 0; c < Channels; c++)
                {
                    // Each of the N copies is updated with its own sample's statistics; the result is their mean.
                    double newMean = 0, newVar = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        newMean += (1 - Momentum) * RunningMean[c] + Momentum * moments.Mean[n * Channels + c];
                        newVar += (1 - Momentum) * RunningVar![c] + Momentum * moments.UnbiasedVar[n * Channels + c];
                    }

                    RunningMean[c] = newMean / batch;
                    RunningVar![c] = newVar / batch;
                }
            }
        }
        else
        {
            for (int slot = 0; slot < batch * Channels; slot++)
            {
                int c = slot % Channels;
                centers[slot] = RunningMean![c];
                invStds[slot] = 1 / Math.Sqrt(RunningVar![c] + Eps);
            }
        }

        for (int slot = 0; slot < batch * Channels; slot++)
        {
            int c = slot % Channels;
            double gamma = Weight?[c] ?? 1.0, beta = Bias?[c] ?? 0.0;
            ReadOnlySpan<float> plane = x.Slice(slot * PlaneSize, PlaneSize);
            double maxAbsXHat = ReferenceFamily.MaxAbsNormalized(plane, centers[slot], invStds[slot]);
            for (int p = 0; p < PlaneSize; p++)
            {
                int at = slot * PlaneSize + p;
                y[at] = (x[at] - centers[slot]) * invStds[slot] * gamma + beta;
                scale[at] = Math.Abs(gamma) * maxAbsXHat + Math.Abs(beta);
            }
        }

        return new ReferenceFamily.Result(y, scale);
    }

    private static double[] Filled(int length, double value)
    {
        var array = new double[length];
        Array.Fill(array, value);
        return array;
    }
}
