using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeneratorBench;

/// <summary>
/// The floor under any attribute-driven generator: the same <c>ForAttributeWithMetadataName</c> registrations as
/// NormGen's (one per layer attribute), with a transform that does nothing. What this costs is Roslyn finding and
/// binding the annotated classes on a new compilation; NormGen's own cost is the difference. (Instantiated directly by
/// the benchmark, so it carries no [Generator] attribute.)
/// </summary>
public sealed class AttributeFloorGenerator : IIncrementalGenerator
{
    /// <summary>The attributes NormGen listens to (NormGen.Generator's LayerKinds.MetadataNames, and [Module]).</summary>
    private static readonly string[] MetadataNames =
    [
        "NormGen.BatchNorm1dAttribute", "NormGen.BatchNorm2dAttribute", "NormGen.BatchNorm3dAttribute",
        "NormGen.InstanceNorm1dAttribute", "NormGen.InstanceNorm2dAttribute", "NormGen.InstanceNorm3dAttribute",
        "NormGen.GroupNormAttribute", "NormGen.LayerNormAttribute", "NormGen.RmsNormAttribute", "NormGen.LocalResponseNormAttribute",
        "NormGen.ModuleAttribute",
    ];

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        foreach (string name in MetadataNames)
        {
            IncrementalValuesProvider<string> names = context.SyntaxProvider.ForAttributeWithMetadataName(
                name,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, _) => ctx.TargetSymbol.Name);
            context.RegisterSourceOutput(names, static (_, _) => { });
        }
    }
}
