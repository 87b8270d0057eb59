using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator;
using NormGen.Generator.Parsing;

namespace GeneratorBench;

/// <summary>
/// Cost of the NormGen generator on a project with 500 annotated layers (<see cref="Layers"/>).
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
/// The remaining methods take that floor apart (see docs/generator.md, "Cost"): how it scales with registrations and
/// with matched classes, how much of it is setting up a new compilation rather than binding attributes, and what
/// NormGen's transform costs on its own.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class GeneratorBenchmarks
{
    private LayerProject _project = null!;
    private GeneratorDriver _warmDriver = null!;
    private GeneratorDriver _warmFloorDriver = null!;
    private GeneratorDriver _warmShapeFloorDriver = null!;
    private GeneratorDriver _warmFloor3Driver = null!;
    private GeneratorDriver _warmFloor1Driver = null!;
    private GeneratorDriver _warmUnmatchedDriver = null!;
    private GeneratorDriver _warmEmptyDriver = null!;
    private GeneratorDriver _warmFloorNullableDisabledDriver = null!;
    private CSharpCompilation _baseCompilation = null!;
    private CSharpCompilation _baseCompilationNullableDisabled = null!;
    private (GeneratorAttributeSyntaxContext Context, string MetadataName)[] _contexts = null!;
    private int _edit;

    /// <summary>Annotated layers in the project (500 unless the --cpu mode is given --layers).</summary>
    public int Layers { get; set; } = LayerProject.DefaultLayerCount;

    [GlobalSetup]
    public void Setup()
    {
        _project = new LayerProject(Layers);
        _baseCompilation = _project.CreateCompilation();
        _warmDriver = CreateDriver().RunGenerators(_baseCompilation);
        GeneratorDriverRunResult result = _warmDriver.GetRunResult();
        if (result.GeneratedTrees.Length != Layers || !result.Diagnostics.IsEmpty || result.Results.Any(r => r.Exception is not null))
        {
            throw new InvalidOperationException($"Expected {Layers} generated files and no diagnostics, got {result.GeneratedTrees.Length} files and {result.Diagnostics.Length} diagnostics.");
        }

        _warmFloorDriver = CreateDriver(new AttributeFloorGenerator()).RunGenerators(_baseCompilation);
        _warmShapeFloorDriver = CreateDriver(new PipelineShapeFloorGenerator()).RunGenerators(_baseCompilation);
        _warmFloor3Driver = CreateDriver(new AttributeFloorGenerator(AttributeFloorGenerator.BatchNormMetadataNames)).RunGenerators(_baseCompilation);
        _warmFloor1Driver = CreateDriver(new AttributeFloorGenerator(AttributeFloorGenerator.BatchNorm1dMetadataName)).RunGenerators(_baseCompilation);
        _warmUnmatchedDriver = CreateDriver(new AttributeFloorGenerator(AttributeFloorGenerator.UnmatchedMetadataNames)).RunGenerators(_baseCompilation);
        _warmEmptyDriver = CreateDriver(new EmptyGenerator()).RunGenerators(_baseCompilation);
        _baseCompilationNullableDisabled = _project.CreateCompilation(NullableContextOptions.Disable);
        _warmFloorNullableDisabledDriver = CreateDriver(new AttributeFloorGenerator()).RunGenerators(_baseCompilationNullableDisabled);

        var capture = new ContextCaptureGenerator();
        CreateDriver(capture).RunGenerators(_project.CreateCompilation());
        _contexts = [.. capture.Contexts];
        if (_contexts.Length != Layers || _contexts.Any(c => LayerParser.Parse(c.Context, c.MetadataName, default).Spec is null))
        {
            throw new InvalidOperationException($"Expected {Layers} valid layer contexts, got {_contexts.Length}.");
        }
    }

    [Benchmark]
    public GeneratorDriver FullRun() => CreateDriver().RunGenerators(_project.CreateCompilation());

    [Benchmark]
    public GeneratorDriver IncrementalRunAfterUnrelatedEdit() => RunNormGen(NextEditedCompilation());

    [Benchmark]
    public Compilation NewCompilationOnly() => NextEditedCompilation();

    [Benchmark]
    public GeneratorDriver FloorIncrementalRunAfterUnrelatedEdit() => RunFloor(NextEditedCompilation());

    /// <summary>The floor with NormGen's steps after the transform (<see cref="PipelineShapeFloorGenerator"/>).</summary>
    [Benchmark]
    public GeneratorDriver PipelineShapeFloorIncrementalRun() => _warmShapeFloorDriver.RunGenerators(NextEditedCompilation());

    /// <summary>The floor with only the 3 registrations the project's layers use (still all 500 classes matched).</summary>
    [Benchmark]
    public GeneratorDriver Floor3RegistrationsIncrementalRun() => _warmFloor3Driver.RunGenerators(NextEditedCompilation());

    /// <summary>The floor with one registration, [BatchNorm1d], which matches half of the classes (250 of 500).</summary>
    [Benchmark]
    public GeneratorDriver Floor1RegistrationIncrementalRun() => _warmFloor1Driver.RunGenerators(NextEditedCompilation());

    /// <summary>11 registrations of attributes that no class carries: registering alone, no class bound.</summary>
    [Benchmark]
    public GeneratorDriver Floor11UnmatchedRegistrationsIncrementalRun() => _warmUnmatchedDriver.RunGenerators(NextEditedCompilation());

    /// <summary>A generator with no registration: the driver's own cost on a new compilation.</summary>
    [Benchmark]
    public GeneratorDriver EmptyGeneratorIncrementalRun() => _warmEmptyDriver.RunGenerators(NextEditedCompilation());

    /// <summary>
    /// The floor on the same project compiled with nullable reference types disabled: Roslyn then skips the nullable
    /// analysis of each attribute's arguments (NullableWalker.AnalyzeIfNeeded) while binding it.
    /// </summary>
    [Benchmark]
    public GeneratorDriver FloorIncrementalRunNullableDisabled() => _warmFloorNullableDisabledDriver.RunGenerators(
        _baseCompilationNullableDisabled.ReplaceSyntaxTree(_project.EditedTree, _project.Edits[_edit++ & 1]));

    /// <summary>A new compilation plus <see cref="Prewarm"/>: the per-compilation setup that does not depend on the layers.</summary>
    [Benchmark]
    public Compilation PrewarmOnly() => NextPrewarmedCompilation();

    /// <summary>The floor on a pre-warmed compilation (includes the pre-warm; the --cpu mode also times it without).</summary>
    [Benchmark]
    public GeneratorDriver PrewarmAndFloorIncrementalRun() => RunFloor(NextPrewarmedCompilation());

    /// <summary>NormGen on a pre-warmed compilation (includes the pre-warm; the --cpu mode also times it without).</summary>
    [Benchmark]
    public GeneratorDriver PrewarmAndIncrementalRun() => RunNormGen(NextPrewarmedCompilation());

    /// <summary>No driver: the 500 annotated classes' symbols on a pre-warmed compilation (includes the pre-warm).</summary>
    [Benchmark]
    public int PrewarmAndDeclaredSymbols() => DeclaredSymbols(NextPrewarmedCompilation(), bindAttributes: false);

    /// <summary>No driver: the 500 symbols and their attributes on a pre-warmed compilation (includes the pre-warm).</summary>
    [Benchmark]
    public int PrewarmAndBoundAttributes() => DeclaredSymbols(NextPrewarmedCompilation(), bindAttributes: true);

    /// <summary>NormGen's transform alone: <see cref="LayerParser.Parse"/> for each of the 500 layers, attributes already bound.</summary>
    [Benchmark]
    public int ParserOnly()
    {
        int specs = 0;
        foreach ((GeneratorAttributeSyntaxContext context, string metadataName) in _contexts)
        {
            specs += LayerParser.Parse(context, metadataName, default).Spec is null ? 0 : 1;
        }

        return specs;
    }

    // The pieces, for ThreadCpuRunner's timings with an untimed preparation.
    internal CSharpCompilation NextPrewarmedCompilation() => Prewarm(NextEditedCompilation());

    internal GeneratorDriver RunNormGen(CSharpCompilation compilation) => _warmDriver.RunGenerators(compilation);

    internal GeneratorDriver RunFloor(CSharpCompilation compilation) => _warmFloorDriver.RunGenerators(compilation);

    /// <summary>
    /// GetDeclaredSymbol (and optionally GetAttributes) for every annotated class, as ForAttributeWithMetadataName does
    /// per matched node, without a driver.
    /// </summary>
    internal int DeclaredSymbols(CSharpCompilation compilation, bool bindAttributes)
    {
        int attributes = 0;
        SemanticModel? model = null;
        foreach (var declaration in _project.LayerClasses)
        {
            if (model?.SyntaxTree != declaration.SyntaxTree)
            {
                model = compilation.GetSemanticModel(declaration.SyntaxTree);
            }

            ISymbol symbol = model.GetDeclaredSymbol(declaration)!;
            attributes += bindAttributes ? symbol.GetAttributes().Length : 1;
        }

        return attributes;
    }

    /// <summary>
    /// The queries any consumer of a new compilation makes first (the IDE's navigation and completion, the compiler's
    /// declaration pass): the merged declaration table and namespace symbols (walking the global namespace), and the
    /// referenced assemblies (a type by metadata name). No attribute is bound.
    /// </summary>
    private static CSharpCompilation Prewarm(CSharpCompilation compilation)
    {
        _ = compilation.GetTypeByMetadataName("NormGen.NormalizationAttribute") ?? throw new InvalidOperationException("NormGen not referenced");
        var pending = new Stack<INamespaceSymbol>();
        pending.Push(compilation.Assembly.GlobalNamespace);
        while (pending.Count > 0)
        {
            foreach (INamespaceSymbol child in pending.Pop().GetNamespaceMembers())
            {
                pending.Push(child);
            }
        }

        return compilation;
    }

    private CSharpCompilation NextEditedCompilation() =>
        _baseCompilation.ReplaceSyntaxTree(_project.EditedTree, _project.Edits[_edit++ & 1]);

    private static GeneratorDriver CreateDriver(IIncrementalGenerator? generator = null) => CSharpGeneratorDriver.Create(
        [(generator ?? new NormLayerGenerator()).AsSourceGenerator()],
        parseOptions: LayerProject.ParseOptions);
}
