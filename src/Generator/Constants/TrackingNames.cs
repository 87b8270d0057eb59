namespace NormGen.Generator;

/// <summary>Names of the incremental pipeline steps, for cacheability tests.</summary>
public static class TrackingNames
{
    /// <summary>The transform of one attribute: model plus diagnostics.</summary>
    public const string Parse = "Parse";

    /// <summary>The cacheable model only; the source output depends on this step alone.</summary>
    public const string Spec = "Spec";

    /// <summary>Diagnostics only.</summary>
    public const string Diagnostics = "Diagnostics";

    /// <summary>The transform of one <c>[Module]</c>.</summary>
    public const string ModuleParse = "ModuleParse";

    /// <summary>The cacheable module model.</summary>
    public const string ModuleSpec = "ModuleSpec";
}
