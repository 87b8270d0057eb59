using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using NormGen.Generator;

namespace NormGen.CodeFixes.Tests;

/// <summary>
/// Test-only bridge: NormGen's diagnostics come from its source generator, while the Roslyn code-fix test harness
/// asks a <see cref="DiagnosticAnalyzer"/> for diagnostics. This analyzer runs the real <see cref="NormLayerGenerator"/>
/// through a <see cref="CSharpGeneratorDriver"/> on the very compilation under analysis and reports exactly the
/// diagnostics the generator produced (same descriptors, same source locations). Nothing is constructed by hand.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratorDiagnosticsAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The generator's own descriptors (an internal class of the generator assembly), read once by reflection.</summary>
    private static readonly ImmutableArray<DiagnosticDescriptor> Descriptors = typeof(NormLayerGenerator).Assembly
        .GetType("NormGen.Generator.Diagnostics.DiagnosticDescriptors", throwOnError: true)!
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToImmutableArray();

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Descriptors;

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            // One generator run per compilation; each diagnostic is then reported from the semantic-model action of
            // its own syntax tree, so it is a local (per-document) diagnostic, as the code-fix harness and the IDE expect.
            Compilation compilation = start.Compilation;
            var diagnostics = new Lazy<ImmutableArray<Diagnostic>>(() => RunGenerator(compilation, start.CancellationToken));
            start.RegisterSemanticModelAction(modelContext =>
            {
                foreach (Diagnostic diagnostic in diagnostics.Value)
                {
                    if (diagnostic.Location.SourceTree == modelContext.SemanticModel.SyntaxTree)
                    {
                        modelContext.ReportDiagnostic(diagnostic);
                    }
                }
            });
        });
    }

    private static ImmutableArray<Diagnostic> RunGenerator(Compilation compilation, CancellationToken cancellationToken)
    {
        var parseOptions = (CSharpParseOptions)compilation.SyntaxTrees.First().Options;
        GeneratorDriver driver = CSharpGeneratorDriver
            .Create([new NormLayerGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGenerators(compilation, cancellationToken);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw.", result.Exception);
        }

        return result.Diagnostics;
    }
}
