using Microsoft.CodeAnalysis;

namespace NormGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs: NG0001-NG0099 declaration shape, NG0100-NG0199 attribute arguments,
/// NG0200-NG0299 modules.
/// Each message says what is wrong and how to fix it.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "NormGen";
    private const string HelpBase = "https://github.com/normgen/normgen/blob/main/docs/diagnostics.md#";

    public const string ClassNotPartialId = "NG0001";
    public const string ContainingTypeNotPartialId = "NG0002";
    public const string GenericClassId = "NG0003";
    public const string MultipleNormalizationAttributesId = "NG0004";
    public const string NonPositiveDimensionId = "NG0101";
    public const string SampleSizeOverflowId = "NG0102";
    public const string InvalidEpsId = "NG0103";
    public const string InvalidMomentumId = "NG0104";
    public const string GroupsDoNotDivideChannelsId = "NG0105";
    public const string MissingDimensionId = "NG0106";
    public const string DuplicateStateKeyId = "NG0201";

    public static readonly DiagnosticDescriptor ClassNotPartial = Create(
        ClassNotPartialId,
        "Normalization layer class must be partial",
        "The class '{0}' has a [{1}] attribute but is not partial; add the 'partial' modifier so NormGen can generate the layer");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        ContainingTypeNotPartialId,
        "Type containing a normalization layer must be partial",
        "The type '{0}' contains the normalization layer '{1}' but is not partial; add the 'partial' modifier to '{0}'");

    public static readonly DiagnosticDescriptor GenericClass = Create(
        GenericClassId,
        "Normalization layer class must not be generic",
        "The class '{0}' is generic (directly or through a containing type); NormGen layers are specialized to one shape, so declare them on a non-generic class");

    public static readonly DiagnosticDescriptor MultipleNormalizationAttributes = Create(
        MultipleNormalizationAttributesId,
        "A class can declare only one normalization layer",
        "The class '{0}' already declares a layer with [{1}]; remove [{2}] or move it to its own partial class");

    public static readonly DiagnosticDescriptor NonPositiveDimension = Create(
        NonPositiveDimensionId,
        "Layer dimension must be positive",
        "The argument '{0}' of [{1}] must be a positive integer, but it is {2}");

    public static readonly DiagnosticDescriptor SampleSizeOverflow = Create(
        SampleSizeOverflowId,
        "Per-sample size is too large",
        "The per-sample size of [{0}] is {1} elements, which exceeds the largest supported size {2} (int.MaxValue); use smaller dimensions");

    public static readonly DiagnosticDescriptor InvalidEps = Create(
        InvalidEpsId,
        "Eps must be a non-negative number",
        "Eps of [{0}] must be zero or positive (PyTorch's default is 1e-5), but it is {1}");

    public static readonly DiagnosticDescriptor InvalidMomentum = Create(
        InvalidMomentumId,
        "Momentum must be between 0 and 1",
        "Momentum of [{0}] must be between 0 and 1 inclusive (PyTorch's default is 0.1; use CumulativeAverage = true for momentum=None), but it is {1}");

    public static readonly DiagnosticDescriptor GroupsDoNotDivideChannels = Create(
        GroupsDoNotDivideChannelsId,
        "Number of channels must be divisible by the number of groups",
        "num_channels must be divisible by num_groups: [{0}] has {1} channels in {2} groups; choose a group count that divides {1}");

    public static readonly DiagnosticDescriptor MissingDimension = Create(
        MissingDimensionId,
        "Layer needs at least one dimension",
        "[{0}] needs at least one {1}; add it to the attribute's arguments");

    public static readonly DiagnosticDescriptor DuplicateStateKey = Create(
        DuplicateStateKeyId,
        "Two module members have the same state key",
        "In module '{0}', the members '{1}' and '{2}' both have the state key '{3}'; rename one or give it another key with [StateKey(\"...\")]");

    private static DiagnosticDescriptor Create(string id, string title, string message) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpBase + id.ToLowerInvariant());
}
