using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>
/// Gradient checks in two steps. First the float64 reference gradients (PyTorch's formulas, <see cref="ReferenceGradients"/>)
/// are validated against finite differences of the float64 reference forward, whose agreement with the generated Forward
/// is checked too, so that they are the gradients of the function the layer computes. Then the generated float32 Backward
/// (gradInput, weight and bias gradients) is compared with the validated float64 gradients.
/// </summary>
public sealed class GradientCheckTests(ITestOutputHelper output)
{
    /// <summary>
    /// Finite-difference tolerance, relative to the gradient's own error scale plus the mean scale of the tensor. The
    /// five-point stencil with h = 1e-3 has a truncation error of h⁴/30·|L⁽⁵⁾| (~1e-13 for spreads ≥ 0.5) and a rounding
    /// error of ~1e-16·Σ|y·dy|/h (~1e-10 relative for 8000 elements); a wrong formula is off by at least 1/n of the scale
    /// (≥ 1e-4). 1e-7 sits in between with three orders of margin on each side.
    /// </summary>
    private const double FdRelative = 1e-7;

    private const double FdStep = 1e-3;

    /// <summary>
    /// Forward agreement (only to tie the reference to the layer's function): 64u of |γ|·(|x̂| + 1) + |β| per element. The
    /// |γ|·1 term is the output's error floor of any float32 layer, independent of how close x is to the mean: the mean
    /// is accumulated in float partials (error a few u of the standard deviation) and the offset that carries
    /// mean − shift is rounded to float (≤ u of |γ|·|mean − shift|·invstd, with the shift within one standard deviation).
    /// </summary>
    private const double ForwardUnits = 64;

    public static IEnumerable<object[]> Layers() => GradLayers.NameData();

    /// <summary>The modes a layer can run Backward in (InstanceNorm with one spatial element cannot train).</summary>
    private static IEnumerable<bool> Modes(GradLayer layer) => layer.CanTrain ? [true, false] : [false];

    private static string Mode(bool training) => training ? "train" : "eval";

    [Theory]
    [MemberData(nameof(Layers))]
    public void ReferenceGradientsMatchFiniteDifferences(string name)
    {
        foreach (bool training in Modes(GradLayers.Create(name)))
        {
            GradLayer layer = GradLayers.Create(name);
            var rng = new Random(StableSeed(name) ^ (training ? 1 : 2));
            int batch = 3;
            GradData.RandomizeParameters(rng, layer);
            GradData.RandomizeRunningStats(rng, layer);
            layer.SetTraining(training);
            float[] x = GradData.Input(rng, layer.Spec, batch, DataKind.Moderate);
            float[] dy = GradData.GradOutput(rng, x.Length);
            double[] weight = GradData.WeightOf(layer), bias = GradData.BiasOf(layer);
            double[]? rm = GradData.RunningMeanOf(layer), rv = GradData.RunningVarOf(layer);
            double[] x64 = GradData.Widen(x), dy64 = GradData.Widen(dy);
            string context = $"{name} ({Mode(training)}, N={batch})";

            // The reference forward is the layer's function.
            var y = new float[x.Length];
            layer.Forward(x, y);
            double[] yRef = ReferenceGradients.Forward(layer.Spec, x64, batch, training, weight, bias, rm, rv);
            double[] yScale = ForwardScale(layer.Spec, x64, yRef, batch, training, weight, bias, rm, rv);
            GradData.AssertWithin($"{context} forward vs float64 reference", y, yRef, yScale, ForwardUnits);

            RefGradients analytic = ReferenceGradients.Backward(layer.Spec, x64, dy64, batch, training, weight, bias, rm, rv);
            int[] indices = SampleIndices(x.Length, 640);
            RefGradients fd = ReferenceGradients.FiniteDifferences(layer.Spec, x64, dy64, batch, training, weight, bias, rm, rv, indices, FdStep);

            double worstInput = CheckFd($"{context} gradInput", analytic.GradInput, fd.GradInput, analytic.InputScale, indices);
            double worstWeight = CheckFd($"{context} weight grad", analytic.GradWeight, fd.GradWeight, analytic.WeightScale, Enumerable.Range(0, analytic.GradWeight.Length).ToArray());
            double worstBias = CheckFd($"{context} bias grad", analytic.GradBias, fd.GradBias, analytic.BiasScale, Enumerable.Range(0, analytic.GradBias.Length).ToArray());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{context}: |analytic - fd| / (scale + mean scale): input {worstInput:E2} ({indices.Length} of {x.Length}), weight {worstWeight:E2}, bias {worstBias:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GeneratedBackwardMatchesFloat64Reference(string name)
    {
        GradLayer layer = GradLayers.Create(name);
        var rng = new Random(StableSeed(name));
        GradData.RandomizeParameters(rng, layer);
        double worstInput = 0, worstParam = 0;

        // One layer instance through every data set, mode and batch size (growing and shrinking), as in training.
        foreach (DataKind kind in Enum.GetValues<DataKind>())
        {
            foreach (bool training in Modes(layer))
            {
                foreach (int batch in new[] { 3, 5, 2 })
                {
                    GradData.RandomizeRunningStats(rng, layer);
                    layer.SetTraining(training);
                    layer.ZeroGrad();
                    double[] weight = GradData.WeightOf(layer), bias = GradData.BiasOf(layer);
                    double[]? rm = GradData.RunningMeanOf(layer), rv = GradData.RunningVarOf(layer);
                    float[] x = GradData.Input(rng, layer.Spec, batch, kind);
                    float[] dy = GradData.GradOutput(rng, x.Length);
                    var y = new float[x.Length];
                    var dx = new float[x.Length];
                    layer.Forward(x, y);
                    layer.Backward(x, dy, dx);

                    RefGradients expected = ReferenceGradients.Backward(layer.Spec, GradData.Widen(x), GradData.Widen(dy), batch, training, weight, bias, rm, rv);
                    string context = $"{name} ({Mode(training)}, {kind}, N={batch})";
                    worstInput = Math.Max(worstInput, GradData.AssertWithin($"{context} gradInput", dx, expected.GradInput, expected.InputScale, GradData.GradInputUnits));
                    if (layer.Weight is not null)
                    {
                        worstParam = Math.Max(worstParam, GradData.AssertWithin($"{context} Weight.Grad", layer.Weight.GradSpan, expected.GradWeight, expected.WeightScale, GradData.ParamUnits(batch)));
                    }

                    if (layer.Bias is not null)
                    {
                        worstParam = Math.Max(worstParam, GradData.AssertWithin($"{context} Bias.Grad", layer.Bias.GradSpan, expected.GradBias, expected.BiasScale, GradData.ParamUnits(batch)));
                    }
                }
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: worst gradInput error {worstInput:F2}u x scale (tolerance {GradData.GradInputUnits}u), worst parameter-gradient error {worstParam:F2}u x scale (tolerance 8+N)"));
    }

    /// <summary>|γ|·(|x̂| + 1) + |β| per element (|y| for LocalResponseNorm): the magnitude of the forward's terms.</summary>
    private static double[] ForwardScale(GradSpec spec, double[] x, double[] y, int batch, bool training, double[] weight, double[] bias, double[]? rm, double[]? rv)
    {
        var scale = new double[x.Length];
        if (spec.Kind == GradKind.Lrn)
        {
            for (int i = 0; i < y.Length; i++)
            {
                scale[i] = Math.Abs(y[i]);
            }

            return scale;
        }

        ReferenceGradients.Statistics st = ReferenceGradients.ComputeStatistics(spec, x, batch, training, rm, rv);
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < spec.Channels; c++)
            {
                int s = st.SetOf(n, c);
                for (int p = 0; p < spec.Plane; p++)
                {
                    int at = ((n * spec.Channels) + c) * spec.Plane + p;
                    scale[at] = (Math.Abs(weight[c]) * (Math.Abs((x[at] - st.Mean[s]) * st.InvStd[s]) + 1)) + Math.Abs(bias[c]);
                }
            }
        }

        return scale;
    }

    private static double CheckFd(string context, double[] analytic, double[] fd, double[] scale, int[] indices)
    {
        if (indices.Length == 0)
        {
            return 0;
        }

        double meanScale = indices.Average(i => scale[i]);
        double worst = 0;
        foreach (int i in indices)
        {
            double denominator = scale[i] + meanScale;
            double err = Math.Abs(analytic[i] - fd[i]);
            if (!(err <= FdRelative * denominator))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{context}: index {i}: analytic {analytic[i]:R}, finite difference {fd[i]:R}, |difference| {err:E3} > {FdRelative} x (scale {scale[i]:E3} + mean scale {meanScale:E3})."));
            }

            if (denominator > 0)
            {
                worst = Math.Max(worst, err / denominator);
            }
        }

        return worst;
    }

    /// <summary>All indices up to <paramref name="limit"/> elements, else an evenly spread subset that includes both ends.</summary>
    internal static int[] SampleIndices(int length, int limit)
    {
        if (length <= limit)
        {
            return Enumerable.Range(0, length).ToArray();
        }

        return Enumerable.Range(0, limit).Select(k => (int)((long)k * (length - 1) / (limit - 1))).Distinct().ToArray();
    }

    /// <summary>A seed from the name that does not depend on string hashing randomization.</summary>
    internal static int StableSeed(string name)
    {
        int seed = 17;
        foreach (char ch in name)
        {
            seed = unchecked((seed * 31) + ch);
        }

        return seed;
    }
}
