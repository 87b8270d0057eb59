using NormGen;

// Every BatchNorm configuration the runtime tests exercise. Shapes are chosen so that each vector
// path (512/256/128/scalar), each tail length and both kernel strategies (per-channel blocks for
// spatial sizes >= 4, whole-sample columns below) are reached.
namespace NormGen.Runtime.Tests.Layers;

/// <summary>(N, 4): no spatial dims, column strategy.</summary>
[BatchNorm1d(4)] public partial class Bn1dFlat { }

/// <summary>(N, 37): odd channel count, column strategy with vector tail.</summary>
[BatchNorm1d(37)] public partial class Bn1dOdd { }

/// <summary>(N, 48): column strategy over whole cache lines, with aligned stores whatever the tensor's address.</summary>
[BatchNorm1d(48)] public partial class Bn1dAligned { }

/// <summary>(N, 8, 2): a 16-element sample (one Vector512: the aligned kernels' first and last vector are the same), per-element copies of per-channel coefficients.</summary>
[BatchNorm1d(8, Length = 2)] public partial class Bn1dAlignedSeq { }

/// <summary>(N, 3, 5): 1d with Length.</summary>
[BatchNorm1d(3, Length = 5)] public partial class Bn1dSeq { }

/// <summary>(N, 70, 3): spatial 3, column strategy over a 210-element sample.</summary>
[BatchNorm1d(70, Length = 3)] public partial class Bn1dShortSeq { }

/// <summary>(N, 3, 5) with custom eps and momentum.</summary>
[BatchNorm1d(3, Length = 5, Eps = 1e-3, Momentum = 0.3)] public partial class Bn1dCustom { }

/// <summary>(N, 3, 4, 5).</summary>
[BatchNorm2d(3, 4, 5)] public partial class Bn2d { }

/// <summary>(N, 5, 7, 7): 49-element planes, tails on every vector width.</summary>
[BatchNorm2d(5, 7, 7)] public partial class Bn2dSmall { }

/// <summary>(N, 16, 7, 7): whole periods of the 16-channel pattern of 49-element planes (the permuted Vector512 kernels).</summary>
[BatchNorm2d(16, 7, 7)] public partial class Bn2dPeriodic { }

/// <summary>(N, 8, 10, 10): 100-element planes, periods of 4 channels in 25 vectors (the permuted Vector512 kernels).</summary>
[BatchNorm2d(8, 10, 10)] public partial class Bn2dPeriodicWide { }

/// <summary>(N, 8, 14, 14): 196-element planes, periods of 4 channels in 49 vectors (the permuted Vector512 kernels of larger planes).</summary>
[BatchNorm2d(8, 14, 14)] public partial class Bn2dPermutedPlane { }

/// <summary>(N, 4, 10, 20): 200-element planes, periods of 2 channels in 25 vectors (the permuted Vector512 kernels of larger planes).</summary>
[BatchNorm2d(4, 10, 20)] public partial class Bn2dPermutedPairs { }

/// <summary>(N, 20, 5, 5): 25-element planes, one group of 16 channels and 4 more (the Vector512 segment sums of small planes).</summary>
[BatchNorm2d(20, 5, 5)] public partial class Bn2dSegments { }

/// <summary>(N, 18, 11, 11): 121-element planes, 7 vectors and a 9-lane tail per plane, 16 + 2 channels (the segment sums).</summary>
[BatchNorm2d(18, 11, 11)] public partial class Bn2dSegmentsWide { }

/// <summary>(N, 17, 9, 15): 135-element planes (the plane strategy), 8 vectors and a 7-lane tail, 16 + 1 channels (the segment sums).</summary>
[BatchNorm2d(17, 9, 15)] public partial class Bn2dSegmentsPlanes { }

/// <summary>(N, 8, 17, 19): 323-element planes, unrolled main loops plus tails.</summary>
[BatchNorm2d(8, 17, 19)] public partial class Bn2dOddPlane { }

/// <summary>(N, 4, 1, 1): one element per plane.</summary>
[BatchNorm2d(4, 1, 1)] public partial class Bn2dUnit { }

/// <summary>(N, 3, 4, 5) without weight and bias.</summary>
[BatchNorm2d(3, 4, 5, Affine = false)] public partial class Bn2dNoAffine { }

/// <summary>(N, 3, 4, 5) without running statistics.</summary>
[BatchNorm2d(3, 4, 5, TrackRunningStats = false)] public partial class Bn2dNoTrack { }

/// <summary>(N, 3, 4, 5) without affine and without running statistics.</summary>
[BatchNorm2d(3, 4, 5, Affine = false, TrackRunningStats = false)] public partial class Bn2dBare { }

/// <summary>(N, 3, 4, 5) with a cumulative moving average (PyTorch momentum=None).</summary>
[BatchNorm2d(3, 4, 5, CumulativeAverage = true)] public partial class Bn2dCumulative { }

/// <summary>(N, 2, 16, 16) with eps = 0.</summary>
[BatchNorm2d(2, 16, 16, Eps = 0)] public partial class Bn2dEpsZero { }

/// <summary>(N, 2, 3, 4, 5).</summary>
[BatchNorm3d(2, 3, 4, 5)] public partial class Bn3d { }
