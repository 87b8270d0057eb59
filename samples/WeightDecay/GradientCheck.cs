using System.Globalization;
using NormGen;

namespace WeightDecay;

/// <summary>
/// Compares the gradients of <see cref="Net.Backward"/> (Linear, ReLU and cross-entropy written in this sample,
/// BatchNorm generated) with central differences of the loss, (L(p + h) - L(p - h)) / 2h, for entries of every
/// parameter tensor. An entry whose perturbation flips the sign of some ReLU input is skipped: the loss has a
/// kink there and a difference quotient does not measure the gradient.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Worst error of each parameter tensor, relative to its largest analytic gradient:
    /// max |analytic - numeric| / max |analytic|.
    /// </summary>
    public sealed record Result(IReadOnlyList<(string Name, double Error)> Errors, int Checked, int Skipped)
    {
        /// <summary>Largest relative error over all tensors.</summary>
        public double MaxError => Errors.Max(e => e.Error);
    }

    /// <summary>Runs the check on the first <paramref name="batch"/> samples of <paramref name="data"/>.</summary>
    public static Result Run(Net net, Dataset data, int batch, double h, int entriesPerTensor, int seed)
    {
        var random = new Random(seed);
        float[] x = new float[batch * Net.Inputs];
        int[] y = new int[batch];
        data.Gather(Enumerable.Range(0, batch).ToArray(), x, y);

        net.Train();
        net.ZeroGrad();
        float[] gradLogits = new float[batch * Net.Classes];
        CrossEntropy.Compute(net.Forward(x), y, Net.Classes, gradLogits, out _);
        net.Backward(gradLogits);
        bool[] pattern = ReluPattern(net);

        var errors = new List<(string, double)>();
        int checkedCount = 0, skipped = 0;
        foreach (var (name, parameter) in net.NamedParameters())
        {
            float[] analytic = parameter.GradSpan.ToArray();
            double scale = analytic.Max(Math.Abs);
            int[] entries = Enumerable.Range(0, parameter.Count).OrderBy(_ => random.Next()).Take(entriesPerTensor).ToArray();
            double worst = 0;
            foreach (int i in entries)
            {
                float original = parameter.DataSpan[i];
                float plus = (float)(original + h), minus = (float)(original - h);
                parameter.DataSpan[i] = plus;
                double lossPlus = Loss(net, x, y, pattern, out bool kinkPlus);
                parameter.DataSpan[i] = minus;
                double lossMinus = Loss(net, x, y, pattern, out bool kinkMinus);
                parameter.DataSpan[i] = original;
                if (kinkPlus || kinkMinus)
                {
                    skipped++;
                    continue;
                }

                // Divide by the step actually taken in float, not by 2h.
                double numeric = (lossPlus - lossMinus) / ((double)plus - minus);
                worst = Math.Max(worst, Math.Abs(numeric - analytic[i]));
                checkedCount++;
            }

            errors.Add((name, worst / scale));
        }

        return new Result(errors, checkedCount, skipped);
    }

    /// <summary>Formats a relative error: <c>3.1e-05</c>.</summary>
    public static string Format(double error) => error.ToString("0.0e+00", CultureInfo.InvariantCulture);

    private static double Loss(Net net, float[] x, int[] y, bool[] pattern, out bool kink)
    {
        double loss = CrossEntropy.Compute(net.Forward(x), y, Net.Classes, default, out _);
        kink = !ReluPattern(net).AsSpan().SequenceEqual(pattern);
        return loss;
    }

    private static bool[] ReluPattern(Net net)
    {
        var (y1, y2) = net.ReluInputs;
        return y1.Concat(y2).Select(v => v > 0).ToArray();
    }
}
