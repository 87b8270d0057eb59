namespace NormGen;

/// <summary>
/// Declares a GroupNorm layer (PyTorch <c>torch.nn.GroupNorm</c>): statistics per sample and group of
/// <c>numChannels / numGroups</c> channels; per-channel affine. Input <c>(N, numChannels, spatial...)</c>.
/// </summary>
/// <example><code>[GroupNorm(32, 256, 14, 14)] public partial class BlockNorm { }</code></example>
public sealed class GroupNormAttribute : NormalizationAttribute
{
    /// <summary>Declares a GroupNorm.</summary>
    /// <param name="numGroups">Number of groups G; must divide <paramref name="numChannels"/>.</param>
    /// <param name="numChannels">Number of channels C.</param>
    /// <param name="spatial">The spatial dimensions (none for <c>(N, C)</c> input).</param>
    public GroupNormAttribute(int numGroups, int numChannels, params int[] spatial)
    {
        NumGroups = numGroups;
        NumChannels = numChannels;
        Spatial = spatial;
    }

    /// <summary>Added to the variance for numerical stability (PyTorch's <c>eps</c>). Default <c>1e-5</c>.</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Number of groups G.</summary>
    public int NumGroups { get; }

    /// <summary>Number of channels C.</summary>
    public int NumChannels { get; }

    /// <summary>The spatial dimensions.</summary>
    public int[] Spatial { get; }

    /// <summary>When true (default), the layer has learnable per-channel <c>weight</c> and <c>bias</c>.</summary>
    public bool Affine { get; set; } = true;
}
