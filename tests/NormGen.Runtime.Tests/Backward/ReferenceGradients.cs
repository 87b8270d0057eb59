using System;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>Gradients of L = Σ y·dy in float64, with the error scales the float32 tolerances are built on.</summary>
internal sealed class RefGradients
{
    public required double[] GradInput { get; init; }

    /// <summary>Per channel (BatchNorm, InstanceNorm, GroupNorm) or per element of the normalized shape; empty without weight.</summary>
    public required double[] GradWeight { get; init; }

    /// <summary>As <see cref="GradWeight"/>; empty without bias.</summary>
    public required double[] GradBias { get; init; }

    /// <summary>
    /// Per element of gradInput, the magnitude of the analytical gradient's terms in its centered form
    /// r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ, the means taken over absolute values:
    /// r·(|g| + mean|g| + |x̂|·mean|g·x̂|) (RMSNorm: r·(|g| + |x̂|·mean|g·x̂|); eval with running statistics: r·|g|;
    /// LocalResponseNorm: the absolute values of its two terms and of the window sum's terms). This is the standard
    /// forward-error scale of sums and dot products: an evaluation that rounds every product (such as g = dy·γ in float32),
    /// every coefficient and every term a bounded number of times errs by a small multiple of 2^-24 times it, i.e. it is the
    /// exact gradient of inputs perturbed by a few float32 ulps.
    /// </summary>
    public required double[] InputScale { get; init; }

    /// <summary>
    /// Per weight gradient, Σ|dy|·(|x̂| + 1) over the elements it sums: the magnitude of its terms dy·x̂, where x̂ of a
    /// float32 layer carries an absolute error of a few u whatever its size (the mean is accumulated in float partials,
    /// with an error of a few u of the standard deviation, and the offset that carries mean − shift is rounded to float).
    /// </summary>
    public required double[] WeightScale { get; init; }

    /// <summary>Per bias gradient, Σ|dy| over the elements it sums.</summary>
    public required double[] BiasScale { get; init; }
}

/// <summary>
/// Independent float64 references for the forward and backward passes of every layer kind, and finite differences of the
/// forward. Nothing here shares code with the generator or the runtime; everything is a double, statistics use two passes.
/// </summary>
/// <remarks>
/// <para>Backward follows the formulas of /work/shared/reference/pytorch-norms.md §3 as PyTorch writes them: BatchNorm
/// (train: sum_dy, dotp, k = dotp·r²/n, grad_mean; eval: dy·r·γ), which InstanceNorm uses per (sample, channel) because
/// PyTorch implements it as a batch norm of the reshaped (1, N·C, ...) input; LayerNorm (ds, db, b, c); GroupNorm (ds, db per
/// (n, c), ds_g, db_g, c2, c3). RMSNorm and LocalResponseNorm are not in §3; their formulas are derived by hand here
/// (RMSNorm: dx = r·γ·dy − x·r³·Σ(dy·γ·x)/D; LocalResponseNorm below) and, like the others, validated by
/// <see cref="FiniteDifferences"/>.</para>
/// <para>Accuracy: inputs are float32 values, so every product of two of them is exact in double and every sum is accurate
/// to ~1e-16 relative to the sum of absolute values; the uncentered LayerNorm/GroupNorm forms (b·x + c) cancel at most by
/// |μ|·r, i.e. 1e3 on the large-mean data, leaving ~1e-13 of <see cref="RefGradients.InputScale"/>: five orders of magnitude
/// below the float32 tolerances.</para>
/// </remarks>
internal static class ReferenceGradients
{
    /// <summary>The normalization statistics of one pass: per set, the subtracted mean and the inverse standard deviation.</summary>
    internal sealed class Statistics
    {
        public required double[] Mean { get; init; }

        public required double[] InvStd { get; init; }

        /// <summary>Number of elements of each set (batch statistics), or 0 (running statistics: constants).</summary>
        public required int SetSize { get; init; }

        /// <summary>Set index of element (n, c, ·).</summary>
        public required Func<int, int, int> SetOf { get; init; }

        public bool Fixed => SetSize == 0;
    }

    /// <summary>PyTorch's inverse standard deviation: 0 when var == 0 and eps == 0, else 1/√(var + eps).</summary>
    public static double InvStd(double variance, double eps) => variance == 0 && eps == 0 ? 0 : 1 / Math.Sqrt(variance + eps);

    /// <summary>
    /// The statistics a forward pass in <paramref name="training"/> mode normalizes with: batch statistics per set, or
    /// (BatchNorm/InstanceNorm with running statistics in eval mode) the given running statistics per channel.
    /// </summary>
    public static Statistics ComputeStatistics(GradSpec spec, ReadOnlySpan<double> x, int batch, bool training, double[]? runningMean, double[]? runningVar)
    {
        int channels = spec.Channels, plane = spec.Plane;
        if (spec.UsesRunningStats(training))
        {
            var fixedMean = new double[channels];
            var fixedInv = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                fixedMean[c] = runningMean![c];
                fixedInv[c] = 1 / Math.Sqrt(runningVar![c] + spec.Eps);
            }

            return new Statistics { Mean = fixedMean, InvStd = fixedInv, SetSize = 0, SetOf = (_, c) => c };
        }

        (int sets, int setSize, Func<int, int, int> setOf) = spec.Kind switch
        {
            GradKind.Batch => (channels, batch * plane, (Func<int, int, int>)((_, c) => c)),
            GradKind.Instance => (batch * channels, plane, (n, c) => (n * channels) + c),
            GradKind.Group => (batch * spec.Groups, channels / spec.Groups * plane, (n, c) => (n * spec.Groups) + (c / (channels / spec.Groups))),
            GradKind.Layer or GradKind.Rms => (batch, channels * plane, (n, _) => n),
            _ => throw new InvalidOperationException($"{spec.Kind} has no statistics."),
        };

        var sum = new double[sets];
        var squares = new double[sets];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int s = setOf(n, c);
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    double v = x[start + p];
                    sum[s] += v;
                    squares[s] += v * v;
                }
            }
        }

        var mean = new double[sets];
        var inv = new double[sets];
        if (spec.Kind == GradKind.Rms)
        {
            // torch: x * rsqrt(mean(x²) + eps); nothing is subtracted.
            for (int s = 0; s < sets; s++)
            {
                inv[s] = 1 / Math.Sqrt((squares[s] / setSize) + spec.Eps);
            }

            return new Statistics { Mean = mean, InvStd = inv, SetSize = setSize, SetOf = setOf };
        }

        for (int s = 0; s < sets; s++)
        {
            mean[s] = sum[s] / setSize;
        }

        var deviations = new double[sets];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int s = setOf(n, c);
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    double d = x[start + p] - mean[s];
                    deviations[s] += d * d;
                }
            }
        }

        for (int s = 0; s < sets; s++)
        {
            inv[s] = InvStd(deviations[s] / setSize, spec.Eps); // biased variance
        }

        return new Statistics { Mean = mean, InvStd = inv, SetSize = setSize, SetOf = setOf };
    }

    /// <summary>The layer's output in float64. <paramref name="weight"/> and <paramref name="bias"/> have one value per channel (1 and 0 without affine).</summary>
    public static double[] Forward(GradSpec spec, ReadOnlySpan<double> x, int batch, bool training, double[] weight, double[] bias, double[]? runningMean, double[]? runningVar)
    {
        var y = new double[x.Length];
        Forward(spec, x, batch, training, weight, bias, runningMean, runningVar, y);
        return y;
    }

    private static void Forward(GradSpec spec, ReadOnlySpan<double> x, int batch, bool training, double[] weight, double[] bias, double[]? runningMean, double[]? runningVar, double[] y)
    {
        int channels = spec.Channels, plane = spec.Plane;
        if (spec.Kind == GradKind.Lrn)
        {
            for (int n = 0; n < batch; n++)
            {
                for (int c = 0; c < channels; c++)
                {
                    for (int p = 0; p < plane; p++)
                    {
                        int at = ((n * channels) + c) * plane + p;
                        y[at] = x[at] * Math.Pow(LrnDenominator(spec, x, n, c, p), -spec.Beta);
                    }
                }
            }

            return;
        }

        Statistics stats = ComputeStatistics(spec, x, batch, training, runningMean, runningVar);
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int s = stats.SetOf(n, c);
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    y[start + p] = ((x[start + p] - stats.Mean[s]) * stats.InvStd[s] * weight[c]) + bias[c];
                }
            }
        }
    }

    /// <summary>k + α/size · Σ x² over the zero-padded channel window [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋] (torch pads (size/2, (size−1)/2) and average-pools with count_include_pad).</summary>
    private static double LrnDenominator(GradSpec spec, ReadOnlySpan<double> x, int n, int c, int p)
    {
        double sum = 0;
        for (int j = Math.Max(0, c - (spec.Size / 2)); j <= Math.Min(spec.Channels - 1, c + ((spec.Size - 1) / 2)); j++)
        {
            double v = x[((n * spec.Channels) + j) * spec.Plane + p];
            sum += v * v;
        }

        return spec.K + (spec.Alpha / spec.Size * sum);
    }

    /// <summary>The analytical gradients of L = Σ y·dy (PyTorch's formulas, see the class remarks) and their error scales.</summary>
    public static RefGradients Backward(
        GradSpec spec, ReadOnlySpan<double> x, ReadOnlySpan<double> dy, int batch, bool training, double[] weight, double[] bias, double[]? runningMean, double[]? runningVar)
    {
        int channels = spec.Channels, plane = spec.Plane;
        var dx = new double[x.Length];
        var scale = new double[x.Length];
        var dWeight = new double[channels];
        var dBias = new double[channels];
        var wScale = new double[channels];
        var bScale = new double[channels];

        if (spec.Kind == GradKind.Lrn)
        {
            LrnBackward(spec, x, dy, batch, dx, scale);
            return new RefGradients { GradInput = dx, InputScale = scale, GradWeight = [], GradBias = [], WeightScale = [], BiasScale = [] };
        }

        Statistics st = ComputeStatistics(spec, x, batch, training, runningMean, runningVar);
        int sets = st.Mean.Length;

        // Per set: Σdy·γ, Σ(x−μ)·dy·γ, Σdy, Σ(x−μ)·dy, Σx·dy·γ (LayerNorm's ds), and the error-scale sums Σg, Σg·x̂.
        var sumG = new double[sets];
        var sumGXmu = new double[sets];
        var sumDy = new double[sets];
        var sumDyXmu = new double[sets];
        var sumGX = new double[sets];
        var sumAbsG = new double[sets];
        var sumAbsGXhat = new double[sets];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int s = st.SetOf(n, c);
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    double d = dy[start + p], xv = x[start + p], xmu = xv - st.Mean[s];
                    sumDy[s] += d;
                    sumDyXmu[s] += xmu * d;
                    sumG[s] += d * weight[c];
                    sumGXmu[s] += xmu * d * weight[c];
                    sumGX[s] += xv * d * weight[c];
                    double xhat = xmu * st.InvStd[s];
                    sumAbsG[s] += Math.Abs(d * weight[c]);
                    sumAbsGXhat[s] += Math.Abs(d * weight[c] * xhat);
                    dWeight[c] += d * xhat;
                    dBias[c] += d;
                    wScale[c] += Math.Abs(d) * (Math.Abs(xhat) + 1);
                    bScale[c] += Math.Abs(d);
                }
            }
        }

        // Gradient of the input, per kind, in PyTorch's own form.
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int s = st.SetOf(n, c);
                double mu = st.Mean[s], r = st.InvStd[s], gamma = weight[c];
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    int at = start + p;
                    double d = dy[at], xv = x[at];
                    double g = d * gamma, xhat = (xv - mu) * r;
                    if (st.Fixed)
                    {
                        // BatchNorm eval (and InstanceNorm with running statistics): grad_input = dy·r·γ.
                        dx[at] = d * r * gamma;
                        scale[at] = Math.Abs(r * g);
                        continue;
                    }

                    double m = st.SetSize;
                    switch (spec.Kind)
                    {
                        case GradKind.Batch:
                        case GradKind.Instance:
                        {
                            // sum_dy, dotp = Σ(x−μ)·dy; k = dotp·r²/n; grad_mean = sum_dy/n; (dy − grad_mean − (x−μ)·k)·r·γ.
                            double k = sumDyXmu[s] * r * r / m;
                            double gradMean = sumDy[s] / m;
                            dx[at] = (d - gradMean - ((xv - mu) * k)) * r * gamma;
                            break;
                        }

                        case GradKind.Layer:
                        {
                            // ds = Σ dy·x·γ, db = Σ dy·γ; b = (db·μ − ds)·a³/N; c = −b·μ − db·a/N; dx = a·γ·dy + b·x + c.
                            double ds = sumGX[s], db = sumG[s];
                            double b = ((db * mu) - ds) * r * r * r / m;
                            double c0 = (-b * mu) - (db * r / m);
                            dx[at] = (r * gamma * d) + (b * xv) + c0;
                            break;
                        }

                        case GradKind.Group:
                            dx[at] = double.NaN; // below, it needs the per-(n, c) sums
                            break;

                        case GradKind.Rms:
                        {
                            // y = x·r·γ with r = (Σx²/D + eps)^-1/2: dx = r·γ·dy − x·r³·Σ(dy·γ·x)/D.
                            dx[at] = (r * gamma * d) - (xv * r * r * r * sumGX[s] / m);
                            scale[at] = r * (Math.Abs(g) + (Math.Abs(xv * r) * sumAbsGXhat[s] / m));
                            continue;
                        }
                    }

                    // Centered form: dx = r·(g − Σg/m − x̂·Σ(g·x̂)/m); the scale is the sum of its terms' magnitudes.
                    scale[at] = r * (Math.Abs(g) + (sumAbsG[s] / m) + (Math.Abs(xhat) * sumAbsGXhat[s] / m));
                }
            }
        }

        if (spec.Kind == GradKind.Group && !st.Fixed)
        {
            GroupBackward(spec, x, dy, batch, weight, st, dx, dWeight, dBias);
        }

        return new RefGradients
        {
            GradInput = dx,
            InputScale = scale,
            GradWeight = spec.HasWeight ? dWeight : [],
            GradBias = spec.HasBias ? dBias : [],
            WeightScale = spec.HasWeight ? wScale : [],
            BiasScale = spec.HasBias ? bScale : [],
        };
    }

    /// <summary>GroupNorm exactly as §3 (group_norm_kernel.cpp): ds, db per (n, c); ds_g, db_g per (n, g); c2, c3; dγ, dβ from ds and db.</summary>
    private static void GroupBackward(GradSpec spec, ReadOnlySpan<double> x, ReadOnlySpan<double> dy, int batch, double[] weight, Statistics st, double[] dx, double[] dWeight, double[] dBias)
    {
        int channels = spec.Channels, plane = spec.Plane, groups = spec.Groups, d = channels / groups;
        double s = 1.0 / (d * plane);
        Array.Clear(dWeight);
        Array.Clear(dBias);
        var ds = new double[channels];
        var db = new double[channels];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                ds[c] = 0;
                db[c] = 0;
                int start = ((n * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    ds[c] += dy[start + p] * x[start + p];
                    db[c] += dy[start + p];
                }
            }

            for (int g = 0; g < groups; g++)
            {
                int set = (n * groups) + g;
                double mu = st.Mean[set], rstd = st.InvStd[set];
                double dsG = 0, dbG = 0;
                for (int c = g * d; c < (g + 1) * d; c++)
                {
                    dsG += ds[c] * weight[c];
                    dbG += db[c] * weight[c];
                }

                double c2 = ((dbG * mu) - dsG) * rstd * rstd * rstd * s;
                double c3 = (-c2 * mu) - (dbG * rstd * s);
                for (int c = g * d; c < (g + 1) * d; c++)
                {
                    int start = ((n * channels) + c) * plane;
                    for (int p = 0; p < plane; p++)
                    {
                        dx[start + p] = (rstd * weight[c] * dy[start + p]) + (c2 * x[start + p]) + c3;
                    }

                    dWeight[c] += (ds[c] - (db[c] * mu)) * rstd;
                    dBias[c] += db[c];
                }
            }
        }
    }

    /// <summary>
    /// LocalResponseNorm: y_c = x_c·d_c^-β with d_c = k + α/size·Σ_{j∈W(c)} x_j², so
    /// dx_j = dy_j·d_j^-β − (2αβ/size)·x_j·Σ_{c: j∈W(c)} dy_c·x_c·d_c^(-β-1); j ∈ W(c) ⟺ j − ⌊(size−1)/2⌋ ≤ c ≤ j + ⌊size/2⌋.
    /// </summary>
    private static void LrnBackward(GradSpec spec, ReadOnlySpan<double> x, ReadOnlySpan<double> dy, int batch, double[] dx, double[] scale)
    {
        int channels = spec.Channels, plane = spec.Plane;
        var den = new double[channels * plane];
        double factor = 2 * spec.Alpha * spec.Beta / spec.Size;
        for (int n = 0; n < batch; n++)
        {
            int sample = n * channels * plane;
            for (int c = 0; c < channels; c++)
            {
                for (int p = 0; p < plane; p++)
                {
                    den[(c * plane) + p] = LrnDenominator(spec, x, n, c, p);
                }
            }

            for (int j = 0; j < channels; j++)
            {
                for (int p = 0; p < plane; p++)
                {
                    int at = sample + (j * plane) + p;
                    double sum = 0, sumAbs = 0;
                    for (int c = Math.Max(0, j - ((spec.Size - 1) / 2)); c <= Math.Min(channels - 1, j + (spec.Size / 2)); c++)
                    {
                        int ac = sample + (c * plane) + p;
                        double term = dy[ac] * x[ac] * Math.Pow(den[(c * plane) + p], -spec.Beta - 1);
                        sum += term;
                        sumAbs += Math.Abs(term);
                    }

                    double direct = dy[at] * Math.Pow(den[(j * plane) + p], -spec.Beta);
                    dx[at] = direct - (factor * x[at] * sum);
                    scale[at] = Math.Abs(direct) + (factor * Math.Abs(x[at]) * sumAbs);
                }
            }
        }
    }

    /// <summary>
    /// Central finite differences of L = Σ y·dy with the fourth-order five-point stencil
    /// (8·(L(+h) − L(−h)) − (L(+2h) − L(−2h))) / 12h, for the inputs listed in <paramref name="inputIndices"/> (NaN
    /// elsewhere), every weight and every bias. L(+h) − L(−h) is summed as Σ (y⁺ − y⁻)·dy, so the rounding error of the
    /// difference is ~1e-16·Σ|y·dy| rather than that of two large sums.
    /// </summary>
    public static RefGradients FiniteDifferences(
        GradSpec spec, double[] x, double[] dy, int batch, bool training, double[] weight, double[] bias, double[]? runningMean, double[]? runningVar,
        int[] inputIndices, double step)
    {
        var yp1 = new double[x.Length];
        var ym1 = new double[x.Length];
        var yp2 = new double[x.Length];
        var ym2 = new double[x.Length];

        double Derivative(double[] target, int index)
        {
            double saved = target[index];
            target[index] = saved + step;
            Forward(spec, x, batch, training, weight, bias, runningMean, runningVar, yp1);
            target[index] = saved - step;
            Forward(spec, x, batch, training, weight, bias, runningMean, runningVar, ym1);
            target[index] = saved + (2 * step);
            Forward(spec, x, batch, training, weight, bias, runningMean, runningVar, yp2);
            target[index] = saved - (2 * step);
            Forward(spec, x, batch, training, weight, bias, runningMean, runningVar, ym2);
            target[index] = saved;
            double sum = 0;
            for (int i = 0; i < x.Length; i++)
            {
                sum += dy[i] * ((8 * (yp1[i] - ym1[i])) - (yp2[i] - ym2[i]));
            }

            return sum / (12 * step);
        }

        var dx = new double[x.Length];
        Array.Fill(dx, double.NaN);
        foreach (int i in inputIndices)
        {
            dx[i] = Derivative(x, i);
        }

        var dWeight = new double[spec.HasWeight ? spec.Channels : 0];
        for (int c = 0; c < dWeight.Length; c++)
        {
            dWeight[c] = Derivative(weight, c);
        }

        var dBias = new double[spec.HasBias ? spec.Channels : 0];
        for (int c = 0; c < dBias.Length; c++)
        {
            dBias[c] = Derivative(bias, c);
        }

        return new RefGradients { GradInput = dx, GradWeight = dWeight, GradBias = dBias, InputScale = [], WeightScale = [], BiasScale = [] };
    }
}
