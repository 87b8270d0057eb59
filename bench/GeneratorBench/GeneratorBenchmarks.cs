using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator;

namespace GeneratorBench;

/// <summary>
/// Cost of the NormGen generator on a project with 500 annotated layers.
/// <list type="bullet">
/// <item><see cref="FullRun"/>: a new driver on a new compilation (a command-line build, or the IDE's first run): every
/// attribute is bound and parsed into a model, and 500 layers are emitted.</item>
/// <item><see cref="IncrementalRunAfterUnrelatedEdit"/>: the IDE's case on every keystroke. A driver that has already run
/// on the project runs on a new compilation in which one file without layers was edited. Each invocation uses a new
/// compilation (so no binding is cached from a previous invocation), alternating between two edited versions.</item>
/// <item><see cref="NewCompilationOnly"/>: the part of the incremental benchmark that is not the generator (making the new
/// compilation object), to subtract.</item>
/// <item><see cref="FloorIncrementalRunAfterUnrelatedEdit"/>: the same incremental run with <see cref="AttributeFloorGenerator"/>,
/// which registers the same attributes but does nothing: the cost Roslyn imposes on any attribute-driven generator.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class GeneratorBenchmarks
{
    private LayerProject _project = null!;
    private GeneratorDriver _warmDriver = null!;
    private GeneratorDriver _warmFloorDriver = null!;
    private CSharpCompilation _baseCompilation = null!;
    private int _edit;

    [GlobalSetup]
    public void Setup()
    {
        _project = new LayerProject();
        _baseCompilation = _project.CreateCompilation();
        _warmDriver = CreateDriver().RunGenerators(_baseCompilation);
        GeneratorDriverRunResult result = _warmDriver.GetRunResult();
        if (result.GeneratedTrees.Length != LayerProject.LayerCount || !result.Diagnostics.IsEmpty || result.Results.Any(r => r.Exception is not null))
        {
            throw new InvalidOperationException($"Expected {LayerProject.LayerCount} generated files and no diagnostics, got {result.GeneratedTrees.Length} files and {result.Diagnostics.Length} diagnostics.");
        }

        _warmFloorDriver = CreateDriver(new AttributeFloorGenerator()).RunGenerators(_baseCompilation);
    }

    [Benchmark]
    public GeneratorDriver FullRun() => CreateDriver().RunGenerators(_project.CreateCompilation());

    [Benchmark]
    public GeneratorDriver IncrementalRunAfterUnrelatedEdit() => _warmDriver.RunGenerators(NextEditedCompilation());

    [Benchmark]
    public Compilation NewCompilationOnly() => NextEditedCompilation();

    [Benchmark]
    public GeneratorDriver FloorIncrementalRunAfterUnrelatedEdit() => _warmFloorDriver.RunGenerators(NextEditedCompilation());

    private CSharpCompilation NextEditedCompilation() =>
        _baseCompilation.ReplaceSyntaxTree(_project.EditedTree, _project.Edits[_edit++ & 1]);

    private static GeneratorDriver CreateDriver(IIncrementalGenerator? generator = null) => CSharpGeneratorDriver.Create(
        [(generator ?? new NormLayerGenerator()).AsSourceGenerator()],
        parseOptions: LayerProject.ParseOptions);
}
