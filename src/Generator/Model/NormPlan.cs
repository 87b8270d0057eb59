using NormGen.Generator.Helpers;

namespace NormGen.Generator.Model;

/// <summary>How a layer's affine transform is parameterized.</summary>
internal enum AffineKind
{
    /// <summary>No learnable parameters.</summary>
    None,

    /// <summary>Learnable <c>weight</c> (initialized to 1) and <c>bias</c> (initialized to 0).</summary>
    WeightAndBias,
}

/// <summary>How the running statistics are tracked.</summary>
internal enum RunningStatsKind
{
    /// <summary>No running statistics: batch statistics are used in every mode.</summary>
    None,

    /// <summary>Exponential moving average with a fixed momentum.</summary>
    Momentum,

    /// <summary>Cumulative moving average, factor 1 / num_batches_tracked (PyTorch's <c>momentum=None</c>).</summary>
    Cumulative,
}

/// <summary>
/// The one idea behind every normalization layer, as the emitter sees it: view each contiguous input of
/// <c>N</c> samples as <c>(N, Slots, SlotLength)</c>; reduce each statistic slot over some of these axes
/// (for BatchNorm: over <c>N</c> and <c>SlotLength</c>, keeping <c>Slots</c> = channels); normalize with the
/// slot's mean and inverse standard deviation; optionally apply a per-slot affine and track running statistics.
/// A layer kind is a mapping from its attribute onto this plan (see <c>Parsing/LayerKinds.cs</c>).
/// </summary>
/// <param name="ModuleName">PyTorch's class name (<c>BatchNorm2d</c>), used in documentation and messages.</param>
/// <param name="SampleShape">The per-sample dimensions, channels first: <c>[C, H, W]</c>.</param>
/// <param name="AcceptedRanks">The input ranks PyTorch accepts for this module (for its rank error message).</param>
/// <param name="Slots">Statistic slots per sample; for BatchNorm the channels C (also the length of parameters and buffers).</param>
/// <param name="SlotLength">Contiguous elements of one slot in one sample (the product of the spatial dimensions).</param>
/// <param name="Affine">Learnable parameters.</param>
/// <param name="RunningStats">Running statistics.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Momentum of the running-statistics update (ignored for <see cref="RunningStatsKind.Cumulative"/>).</param>
internal sealed record NormPlan(
    string ModuleName,
    EquatableArray<int> SampleShape,
    EquatableArray<int> AcceptedRanks,
    int Slots,
    int SlotLength,
    AffineKind Affine,
    RunningStatsKind RunningStats,
    double Eps,
    double Momentum)
{
    /// <summary>Elements per sample.</summary>
    public int SampleSize => Slots * SlotLength;

    public bool HasAffine => Affine != AffineKind.None;

    public bool TracksRunningStats => RunningStats != RunningStatsKind.None;
}

/// <summary>
/// Everything the emitter needs for one annotated class. Models are immutable and value-equatable
/// (records of strings, numbers, enums and <see cref="EquatableArray{T}"/>); they never hold an
/// <c>ISymbol</c>, <c>SyntaxNode</c>, <c>Location</c> or <c>Compilation</c>, which would defeat the
/// incremental generator's caching.
/// </summary>
internal sealed record LayerSpec(HierarchyInfo Hierarchy, NormPlan Plan);
