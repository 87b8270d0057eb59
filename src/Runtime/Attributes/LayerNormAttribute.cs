namespace NormGen;

/// <summary>
/// Declares a LayerNorm layer (PyTorch <c>torch.nn.LayerNorm</c>): statistics per row over the last
/// dimensions, given by <c>normalizedShape</c>; input <c>(*, normalizedShape...)</c> with any number of rows.
/// </summary>
/// <example><code>[LayerNorm(768)] public partial class BlockNorm { }</code></example>
public sealed class LayerNormAttribute : NormalizationAttribute
{
    /// <summary>Declares a LayerNorm over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public LayerNormAttribute(params int[] normalizedShape)
    {
        NormalizedShape = normalizedShape;
    }

    /// <summary>Added to the variance for numerical stability (PyTorch's <c>eps</c>). Default <c>1e-5</c>.</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>The normalized (trailing) dimensions.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>When true (default), the layer has a learnable elementwise <c>weight</c> (and <c>bias</c> unless <see cref="Bias"/> is false).</summary>
    public bool ElementwiseAffine { get; set; } = true;

    /// <summary>When true (default) and <see cref="ElementwiseAffine"/>, the layer has a learnable <c>bias</c> (PyTorch 2.1's <c>bias</c>).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// Declares an RMSNorm layer (PyTorch 2.4's <c>torch.nn.RMSNorm</c>): <c>y = x * rsqrt(mean(x^2) + eps) * weight</c>
/// per row over the trailing dimensions; no mean subtraction, no bias.
/// </summary>
/// <example><code>[RmsNorm(4096)] public partial class DecoderNorm { }</code></example>
public sealed class RmsNormAttribute : NormalizationAttribute
{
    /// <summary>Declares an RMSNorm over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public RmsNormAttribute(params int[] normalizedShape)
    {
        NormalizedShape = normalizedShape;
    }

    /// <summary>The normalized (trailing) dimensions.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>
    /// Added to the mean square. Default: float32 machine epsilon 1.1920929e-07, which is what PyTorch uses for
    /// float32 input when <c>eps=None</c>.
    /// </summary>
    public double Eps { get; set; } = 1.1920928955078125e-07;

    /// <summary>When true (default), the layer has a learnable elementwise <c>weight</c>.</summary>
    public bool ElementwiseAffine { get; set; } = true;
}
