using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeneratorBench;

/// <summary>
/// The floor under any attribute-driven generator: <c>ForAttributeWithMetadataName</c> registrations (by default the
/// same as NormGen's, one per layer attribute and [Module]) with a transform that does nothing. What this costs is Roslyn
/// finding and binding the annotated classes on a new compilation; NormGen's own cost is the difference. The other
/// presets split that floor: fewer registrations, or registrations that match no class. (Instantiated directly by the
/// benchmark, so it carries no [Generator] attribute.)
/// </summary>
public sealed class AttributeFloorGenerator : IIncrementalGenerator
{
    /// <summary>The attributes NormGen listens to (NormGen.Generator's LayerKinds.MetadataNames, and [Module]).</summary>
    public static readonly string[] NormGenMetadataNames =
    [
        "NormGen.BatchNorm1dAttribute", "NormGen.BatchNorm2dAttribute", "NormGen.BatchNorm3dAttribute",
        "NormGen.InstanceNorm1dAttribute", "NormGen.InstanceNorm2dAttribute", "NormGen.InstanceNorm3dAttribute",
        "NormGen.GroupNormAttribute", "NormGen.LayerNormAttribute", "NormGen.RmsNormAttribute", "NormGen.LocalResponseNormAttribute",
        "NormGen.ModuleAttribute",
    ];

    /// <summary>The three attributes the benchmark project uses: together they match all 500 layers.</summary>
    public static readonly string[] BatchNormMetadataNames =
        ["NormGen.BatchNorm1dAttribute", "NormGen.BatchNorm2dAttribute", "NormGen.BatchNorm3dAttribute"];

    /// <summary>One attribute, matching half of the layers (250 BatchNorm1d).</summary>
    public static readonly string[] BatchNorm1dMetadataName = ["NormGen.BatchNorm1dAttribute"];

    /// <summary>As many registrations as NormGen's, of attributes no class carries: the cost of registering alone.</summary>
    public static readonly string[] UnmatchedMetadataNames =
        [.. Enumerable.Range(0, 11).Select(i => $"NormGen.Unused{i}Attribute")];

    private readonly string[] _metadataNames;

    public AttributeFloorGenerator()
        : this(NormGenMetadataNames)
    {
    }

    public AttributeFloorGenerator(string[] metadataNames) => _metadataNames = metadataNames;

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        foreach (string name in _metadataNames)
        {
            IncrementalValuesProvider<string> names = context.SyntaxProvider.ForAttributeWithMetadataName(
                name,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, _) => ctx.TargetSymbol.Name);
            context.RegisterSourceOutput(names, static (_, _) => { });
        }
    }
}

/// <summary>A generator that registers nothing: the driver's own cost of running on a new compilation.</summary>
public sealed class EmptyGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}

/// <summary>
/// The floor with NormGen's pipeline shape: per registration, the same steps after the transform (model and
/// diagnostics split, a source output for each) and one generated file per class (a one-line comment, so emitting
/// costs nothing), but a transform that only reads the class name. NormGen minus this is the cost of NormGen's
/// transform as it runs in the driver; this minus <see cref="AttributeFloorGenerator"/> is the driver's bookkeeping of
/// the extra steps and of the (cached) generated files.
/// </summary>
public sealed class PipelineShapeFloorGenerator : IIncrementalGenerator
{
    private readonly record struct Result(string? Name, ImmutableArray<Diagnostic> Diagnostics);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        foreach (string name in AttributeFloorGenerator.NormGenMetadataNames)
        {
            IncrementalValuesProvider<Result> parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                name,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, _) => new Result(ctx.TargetSymbol.Name, ImmutableArray<Diagnostic>.Empty));
            IncrementalValuesProvider<string> names = parsed
                .Select(static (result, _) => result.Name)
                .Where(static n => n is not null)
                .Select(static (n, _) => n!);
            IncrementalValuesProvider<ImmutableArray<Diagnostic>> diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .Where(static d => !d.IsDefaultOrEmpty);
            context.RegisterSourceOutput(names, static (spc, n) => spc.AddSource(n + ".g.cs", "// " + n));
            context.RegisterSourceOutput(diagnostics, static (_, _) => { });
        }
    }
}
