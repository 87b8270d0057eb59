using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Emit;
using NormGen.Generator.Model;
using NormGen.Generator.Parsing;

namespace NormGen.Generator;

/// <summary>
/// Generates a normalization layer, specialized to its shape, for every partial class annotated with a
/// NormGen attribute (<c>[BatchNorm2d(64, 32, 32)]</c>, ...).
/// Pipeline: ForAttributeWithMetadataName → <see cref="LayerParser"/> (model + diagnostics) →
/// model-only step → <see cref="LayerEmitter"/>; diagnostics are reported from a separate step so
/// that the source output is cached whenever the model is unchanged.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NormLayerGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        foreach (string metadataName in LayerKinds.MetadataNames)
        {
            string name = metadataName;
            IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    name,
                    predicate: static (node, _) => node is ClassDeclarationSyntax,
                    transform: (ctx, ct) => LayerParser.Parse(ctx, name, ct))
                .WithTrackingName(TrackingNames.Parse);

            IncrementalValuesProvider<LayerSpec> specs = parsed
                .Select(static (result, _) => result.Spec)
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .WithTrackingName(TrackingNames.Spec);

            IncrementalValuesProvider<ImmutableArray<Diagnostic>> diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .Where(static d => !d.IsDefaultOrEmpty)
                .WithTrackingName(TrackingNames.Diagnostics);

            context.RegisterSourceOutput(specs, static (spc, spec) =>
                spc.AddSource(spec.Hierarchy.FullyQualifiedMetadataName + ".g.cs", LayerEmitter.Emit(spec)));

            context.RegisterSourceOutput(diagnostics, ReportDiagnostics);
        }

        IncrementalValuesProvider<ModuleParseResult> modules = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModuleParser.ModuleAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, ct) => ModuleParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.ModuleParse);

        IncrementalValuesProvider<ModuleSpec> moduleSpecs = modules
            .Select(static (result, _) => result.Spec)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.ModuleSpec);

        context.RegisterSourceOutput(moduleSpecs, static (spc, spec) =>
            spc.AddSource(spec.Hierarchy.FullyQualifiedMetadataName + ".g.cs", ModuleEmitter.Emit(spec)));
        context.RegisterSourceOutput(
            modules.Select(static (result, _) => result.Diagnostics).Where(static d => !d.IsDefaultOrEmpty),
            ReportDiagnostics);
    }

    private static void ReportDiagnostics(SourceProductionContext context, ImmutableArray<Diagnostic> diagnostics)
    {
        foreach (Diagnostic diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic);
        }
    }
}
