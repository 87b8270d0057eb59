namespace NormGen;

/// <summary>
/// Declares a LocalResponseNorm layer (PyTorch <c>torch.nn.LocalResponseNorm</c>):
/// <c>b_c = a_c * (k + alpha / size * sum of a_c'^2 over the size neighbouring channels)^-beta</c>, zero-padded at
/// the edges with the divisor always <c>size</c>. Input <c>(N, numChannels, spatial...)</c>, at least one spatial dimension.
/// </summary>
/// <example><code>[LocalResponseNorm(5, 96, 55, 55)] public partial class Lrn { }</code></example>
public sealed class LocalResponseNormAttribute : NormalizationAttribute
{
    /// <summary>Declares a LocalResponseNorm.</summary>
    /// <param name="size">Number of neighbouring channels in the window.</param>
    /// <param name="numChannels">Number of channels C.</param>
    /// <param name="spatial">The spatial dimensions (at least one).</param>
    public LocalResponseNormAttribute(int size, int numChannels, params int[] spatial)
    {
        Size = size;
        NumChannels = numChannels;
        Spatial = spatial;
    }

    /// <summary>Window size.</summary>
    public int Size { get; }

    /// <summary>Number of channels C.</summary>
    public int NumChannels { get; }

    /// <summary>The spatial dimensions.</summary>
    public int[] Spatial { get; }

    /// <summary>Multiplicative factor. Default <c>1e-4</c>.</summary>
    public double Alpha { get; set; } = 1e-4;

    /// <summary>Exponent. Default <c>0.75</c>.</summary>
    public double Beta { get; set; } = 0.75;

    /// <summary>Additive factor. Default <c>1.0</c>.</summary>
    public double K { get; set; } = 1.0;
}
