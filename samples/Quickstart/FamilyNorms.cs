using NormGen;

namespace Quickstart;

/// <summary>A LayerNorm over the last dimension of 8 features, as in a transformer block.</summary>
[LayerNorm(8)]
public partial class TokenNorm
{
}

/// <summary>A GroupNorm: 2 groups of 2 channels over 3 x 3 maps.</summary>
[GroupNorm(2, 4, 3, 3)]
public partial class FeatureGroupNorm
{
}
