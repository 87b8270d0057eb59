using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Parsing;

namespace GeneratorBench;

/// <summary>
/// Keeps the <see cref="GeneratorAttributeSyntaxContext"/> of every annotated class, with the attribute's metadata
/// name, exactly as NormGen's transform receives them, so that <see cref="GeneratorBenchmarks.ParserOnly"/> can time
/// NormGen's transform (<see cref="LayerParser.Parse"/>) alone, on symbols whose attributes Roslyn has already bound.
/// A probe for the benchmark only: a real generator must not keep state.
/// </summary>
internal sealed class ContextCaptureGenerator : IIncrementalGenerator
{
    public List<(GeneratorAttributeSyntaxContext Context, string MetadataName)> Contexts { get; } = [];

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        foreach (string metadataName in LayerKinds.MetadataNames)
        {
            string name = metadataName;
            IncrementalValuesProvider<(GeneratorAttributeSyntaxContext, string)> captured = context.SyntaxProvider.ForAttributeWithMetadataName(
                name,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: (ctx, _) => (ctx, name));
            context.RegisterSourceOutput(captured, (_, item) => Contexts.Add(item));
        }
    }
}
