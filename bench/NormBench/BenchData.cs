using System;

namespace NormBench;

/// <summary>Benchmark data and the agreement check run before any measurement.</summary>
internal static class BenchData
{
    /// <summary>Deterministic values uniform in [-1, 3): mean 1, so the statistics have a non-zero mean to remove.</summary>
    public static float[] Create(int length, int seed)
    {
        var random = new Random(seed);
        float[] data = new float[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (random.NextSingle() * 4f) - 1f;
        }

        return data;
    }

    /// <summary>
    /// Throws when two implementations of the same mode disagree by more than float rounding allows, so a benchmark never
    /// times code that computes something else.
    /// </summary>
    public static void CheckImplementationsAgree<TLayer>(NormCase<TLayer> benchmark)
        where TLayer : class, INormLayer, new()
    {
        Check(benchmark.GetType().Name, benchmark.FreshOutputs());
        Check(benchmark.GetType().Name, benchmark.FreshGradients());
    }

    private static void Check(string benchmark, (string Name, float[] Output)[] outputs)
    {
        for (int i = 1; i < outputs.Length; i++)
        {
            // Compare within a mode: names share their first word ("train ...", "eval ..."), or all when there are no modes.
            (string name, float[] output) = outputs[i];
            (string referenceName, float[] reference) = Array.Find(outputs, o => Mode(o.Name) == Mode(name));
            double worst = 0;
            for (int k = 0; k < output.Length; k++)
            {
                worst = Math.Max(worst, Math.Abs((double)output[k] - reference[k]));
            }

            if (!(worst <= 1e-4))
            {
                throw new InvalidOperationException($"{benchmark}: '{name}' differs from '{referenceName}' by {worst} (at most 1e-4 expected).");
            }
        }

        static string Mode(string name) => name.StartsWith("train ", StringComparison.Ordinal) ? "train" : name.StartsWith("eval ", StringComparison.Ordinal) ? "eval" : name.StartsWith("backward ", StringComparison.Ordinal) ? "backward" : "";
    }
}
