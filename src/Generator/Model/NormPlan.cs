using NormGen.Generator.Helpers;

namespace NormGen.Generator.Model;

/// <summary>The PyTorch module a plan implements; decides input checks, error texts and member names.</summary>
internal enum LayerKind
{
    BatchNorm,
    InstanceNorm,
    GroupNorm,
    LayerNorm,
    RmsNorm,
    LocalResponseNorm,
}

/// <summary>Which statistics are shared: over the whole batch, or per sample.</summary>
internal enum StatisticsScope
{
    /// <summary>One statistic per slot over all N samples (BatchNorm).</summary>
    Batch,

    /// <summary>One statistic per sample and slot (InstanceNorm, GroupNorm, LayerNorm, RMSNorm).</summary>
    Sample,

    /// <summary>No statistics over axes: a sliding window across channels (LocalResponseNorm).</summary>
    ChannelWindow,
}

/// <summary>How a layer's affine transform is parameterized.</summary>
internal enum AffineKind
{
    /// <summary>No learnable parameters.</summary>
    None,

    /// <summary>Learnable <c>weight</c> (initialized to 1) and <c>bias</c> (initialized to 0).</summary>
    WeightAndBias,

    /// <summary>Learnable <c>weight</c> only (RMSNorm, LayerNorm with <c>Bias = false</c>).</summary>
    WeightOnly,
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

/// <summary>LocalResponseNorm's window parameters.</summary>
internal sealed record ChannelWindow(int Size, double Alpha, double Beta, double K);

/// <summary>
/// The one idea behind every normalization layer, as the emitter sees it: view each sample of a contiguous input as
/// <c>(Slots, SlotLength)</c>; reduce each slot to a mean and an inverse standard deviation, either over the whole
/// batch (<see cref="StatisticsScope.Batch"/>) or per sample (<see cref="StatisticsScope.Sample"/>); normalize; apply
/// an affine transform whose coefficients are shared by runs of <see cref="AffineBlock"/> consecutive elements of a
/// sample; optionally track running statistics per slot. LocalResponseNorm reduces over a window of channels instead.
/// A layer kind is a mapping from its attribute onto this plan (<c>Parsing/LayerKinds.cs</c>):
/// <list type="table">
/// <item><term>BatchNorm</term><description>Slots = C, SlotLength = spatial, Batch scope, AffineBlock = spatial.</description></item>
/// <item><term>InstanceNorm</term><description>Slots = C, SlotLength = spatial, Sample scope, AffineBlock = spatial.</description></item>
/// <item><term>GroupNorm</term><description>Slots = G, SlotLength = C/G x spatial, Sample scope, AffineBlock = spatial.</description></item>
/// <item><term>LayerNorm, RMSNorm</term><description>Slots = 1, SlotLength = normalized size, Sample scope, AffineBlock = 1.</description></item>
/// </list>
/// </summary>
/// <param name="Kind">The PyTorch module.</param>
/// <param name="ModuleName">PyTorch's class name (<c>BatchNorm2d</c>), used in documentation and messages.</param>
/// <param name="SampleShape">The per-sample dimensions (channels first; for LayerNorm/RMSNorm the normalized shape).</param>
/// <param name="AcceptedRanks">The input ranks PyTorch accepts for this module (for its rank error message).</param>
/// <param name="Channels">Channels C (length of per-channel parameters and buffers); 0 for LayerNorm and RMSNorm.</param>
/// <param name="Slots">Statistic slots per sample.</param>
/// <param name="SlotLength">Contiguous elements of one slot in one sample.</param>
/// <param name="Scope">Which statistics are shared.</param>
/// <param name="SubtractMean">False for RMSNorm, which divides by the root mean square without centering.</param>
/// <param name="Affine">Learnable parameters.</param>
/// <param name="AffineShape">Shape of <c>weight</c> and <c>bias</c>.</param>
/// <param name="AffineBlock">Consecutive elements of a sample that share one affine coefficient.</param>
/// <param name="RunningStats">Running statistics.</param>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Momentum of the running-statistics update (ignored unless <see cref="RunningStatsKind.Momentum"/>).</param>
/// <param name="Window">LocalResponseNorm's window; null for every other kind.</param>
/// <param name="ParametersDecay">Whether optimizers decay <c>weight</c> and <c>bias</c> (the attribute's <c>WeightDecay</c>; default false).</param>
internal sealed record NormPlan(
    LayerKind Kind,
    string ModuleName,
    EquatableArray<int> SampleShape,
    EquatableArray<int> AcceptedRanks,
    int Channels,
    int Slots,
    int SlotLength,
    StatisticsScope Scope,
    bool SubtractMean,
    AffineKind Affine,
    EquatableArray<int> AffineShape,
    int AffineBlock,
    RunningStatsKind RunningStats,
    double Eps,
    double Momentum,
    ChannelWindow? Window,
    bool ParametersDecay = false)
{
    /// <summary>Elements per sample.</summary>
    public int SampleSize => Slots * SlotLength;

    public bool HasAffine => Affine != AffineKind.None;

    public bool HasBias => Affine == AffineKind.WeightAndBias;

    public bool TracksRunningStats => RunningStats != RunningStatsKind.None;
}

/// <summary>
/// Everything the emitter needs for one annotated class. Models are immutable and value-equatable
/// (records of strings, numbers, enums and <see cref="EquatableArray{T}"/>); they never hold an
/// <c>ISymbol</c>, <c>SyntaxNode</c>, <c>Location</c> or <c>Compilation</c>, which would defeat the
/// incremental generator's caching.
/// </summary>
internal sealed record LayerSpec(HierarchyInfo Hierarchy, NormPlan Plan);
