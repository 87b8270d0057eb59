namespace WeightDecay;

/// <summary>Samples (Count, Net.Inputs) and their labels.</summary>
public sealed record Dataset(float[] Features, int[] Labels)
{
    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Copies the samples at <paramref name="indices"/> into a batch.</summary>
    public void Gather(ReadOnlySpan<int> indices, Span<float> features, Span<int> labels)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            Features.AsSpan(indices[i] * Net.Inputs, Net.Inputs).CopyTo(features.Slice(i * Net.Inputs, Net.Inputs));
            labels[i] = Labels[indices[i]];
        }
    }
}

/// <summary>
/// Four interleaved spirals in a random 2-D plane of 16-D space, with Gaussian noise in every direction: the
/// network has to find the plane among 14 noise dimensions and then separate the arms.
/// </summary>
public static class Spirals
{
    /// <summary>Arm turns.</summary>
    public const double Turns = 1;

    /// <summary>Noise in the spiral plane (radius units; neighbouring arms are 1 / (4 Turns) = 0.25 apart).</summary>
    public const double PlaneNoise = 0.03;

    /// <summary>Noise in each of the 16 coordinates.</summary>
    public const double SpaceNoise = 0.05;

    /// <summary>Scale of the plane coordinates in the 16-D embedding.</summary>
    public const double Scale = 3;

    /// <summary>Draws the training and test sets from one seeded generator (same plane, disjoint samples).</summary>
    public static (Dataset Train, Dataset Test) Create(int trainCount, int testCount, int seed)
    {
        var random = new Random(seed);

        // Two orthonormal directions of R^16 (Gram-Schmidt on Gaussian vectors): the spiral's plane.
        double[] u = Gaussian(random, Net.Inputs);
        double[] v = Gaussian(random, Net.Inputs);
        Normalize(u);
        double dot = 0;
        for (int i = 0; i < Net.Inputs; i++)
        {
            dot += u[i] * v[i];
        }

        for (int i = 0; i < Net.Inputs; i++)
        {
            v[i] -= dot * u[i];
        }

        Normalize(v);
        return (Draw(random, trainCount, u, v), Draw(random, testCount, u, v));
    }

    private static Dataset Draw(Random random, int count, double[] u, double[] v)
    {
        var features = new float[count * Net.Inputs];
        var labels = new int[count];
        for (int s = 0; s < count; s++)
        {
            int label = s % Net.Classes;
            double t = random.NextDouble();
            double angle = 2 * Math.PI * (label / (double)Net.Classes + Turns * t);
            double a = t * Math.Cos(angle) + PlaneNoise * NextGaussian(random);
            double b = t * Math.Sin(angle) + PlaneNoise * NextGaussian(random);
            for (int i = 0; i < Net.Inputs; i++)
            {
                features[s * Net.Inputs + i] = (float)(Scale * (a * u[i] + b * v[i]) + SpaceNoise * NextGaussian(random));
            }

            labels[s] = label;
        }

        return new Dataset(features, labels);
    }

    /// <summary>A standard normal variate (Box-Muller).</summary>
    public static double NextGaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double[] Gaussian(Random random, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = NextGaussian(random);
        }

        return values;
    }

    private static void Normalize(double[] values)
    {
        double norm = Math.Sqrt(values.Sum(x => x * x));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= norm;
        }
    }
}
