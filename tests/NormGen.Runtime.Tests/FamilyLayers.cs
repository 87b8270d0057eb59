using NormGen;

// The rest of the family: LayerNorm, GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm. Shapes reach the vector
// paths with tails, the scalar-only paths (slots shorter than a vector), per-element affine, per-channel affine inside
// a group, running statistics (InstanceNorm) and the single-value rules.
namespace NormGen.Runtime.Tests.Layers;

/// <summary>LayerNorm over 768 features.</summary>
[LayerNorm(768)] public partial class Ln768 { }

/// <summary>LayerNorm over 44 features: a tail vector on the Vector512 and Vector256 paths, with weight and bias.</summary>
[LayerNorm(44)] public partial class Ln44 { }

/// <summary>LayerNorm over 5 features: scalar paths only.</summary>
[LayerNorm(5)] public partial class Ln5 { }

/// <summary>LayerNorm over [4, 6] without bias.</summary>
[LayerNorm(4, 6, ElementwiseAffine = true, Bias = false)] public partial class Ln4x6NoBias { }

/// <summary>LayerNorm over 37 features without affine.</summary>
[LayerNorm(37, ElementwiseAffine = false)] public partial class Ln37NoAffine { }

/// <summary>GroupNorm: 4 groups of 2 channels of 5 x 5.</summary>
[GroupNorm(4, 8, 5, 5)] public partial class Gn2d { }

/// <summary>
/// GroupNorm with the per-slot kernels (KernelEmitter.WriteSlotNormalize): 2 groups of 8 planes of 18 floats, so a
/// vector of every width crosses plane ends (18 is not a multiple of 16, 8 or 4) and a slot is 9 Vector512s.
/// </summary>
[GroupNorm(2, 16, 6, 3)] public partial class GnSlots { }

/// <summary>GroupNorm with the per-slot kernels over planes of whole vectors: 2 groups of 2 planes of 32 floats.</summary>
[GroupNorm(2, 4, 4, 8)] public partial class GnSlotsAligned { }

/// <summary>GroupNorm over (N, 6) in 2 groups: per-element affine inside each group.</summary>
[GroupNorm(2, 6)] public partial class GnFlat { }

/// <summary>GroupNorm without affine over (N, 6, 7).</summary>
[GroupNorm(3, 6, 7, Affine = false)] public partial class Gn1dNoAffine { }

/// <summary>GroupNorm with one value per group: the single-value rule applies at N = 1.</summary>
[GroupNorm(4, 4)] public partial class GnUnit { }

/// <summary>InstanceNorm1d over (N, 3, 10).</summary>
[InstanceNorm1d(3, 10)] public partial class In1d { }

/// <summary>InstanceNorm2d over (N, 4, 5, 6) with affine.</summary>
[InstanceNorm2d(4, 5, 6, Affine = true)] public partial class In2dAffine { }

/// <summary>InstanceNorm2d over (N, 3, 4, 5) with running statistics.</summary>
[InstanceNorm2d(3, 4, 5, TrackRunningStats = true)] public partial class In2dTrack { }

/// <summary>InstanceNorm3d over (N, 2, 3, 4, 5) with affine, running statistics and momentum 0.2.</summary>
[InstanceNorm3d(2, 3, 4, 5, Affine = true, TrackRunningStats = true, Momentum = 0.2)] public partial class In3d { }

/// <summary>InstanceNorm2d over (N, 3, 1, 1): one spatial element, so only eval with running statistics works.</summary>
[InstanceNorm2d(3, 1, 1, TrackRunningStats = true)] public partial class InUnit { }

/// <summary>RMSNorm over 64 features.</summary>
[RmsNorm(64)] public partial class Rms64 { }

/// <summary>RMSNorm over [3, 5] without weight, eps 1e-6.</summary>
[RmsNorm(3, 5, ElementwiseAffine = false, Eps = 1e-6)] public partial class Rms3x5NoAffine { }

/// <summary>LocalResponseNorm(5) over (N, 8, 3, 4).</summary>
[LocalResponseNorm(5, 8, 3, 4)] public partial class Lrn { }

/// <summary>LocalResponseNorm(2) with custom alpha, beta, k over (N, 3, 4).</summary>
[LocalResponseNorm(2, 3, 4, Alpha = 1e-2, Beta = 0.5, K = 2)] public partial class LrnEven { }
