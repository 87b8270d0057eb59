using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator.Model;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The model is value-equatable, so edits that do not change a layer leave its source output cached.
/// Every scenario runs the driver on a new compilation (re-running the same compilation proves nothing):
/// the edited tree replaces the old one with <see cref="Compilation.ReplaceSyntaxTree"/>, or a tree is added.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Layer = """
        using NormGen;
        namespace Models;
        [BatchNorm2d(64, 32, 32)] public partial class StemNorm { }
        """;

    /// <summary>Two layers and an unrelated class in one file, for the edits inside a layer file.</summary>
    private static readonly string TwoLayers = """
        using NormGen;

        namespace Models;

        [BatchNorm2d(64, 32, 32)]
        public partial class StemNorm
        {
        }

        public class Unrelated
        {
            public int Value;
        }

        [BatchNorm1d(128, Eps = 1e-3)]
        public partial class HeadNorm
        {
        }
        """.ReplaceLineEndings("\n");

    /// <summary>Expected reasons of one scenario, per step (Mapperly's IncrementalGeneratorRunReasons style).</summary>
    /// <param name="Parse">Every output of the transform (<see cref="TrackingNames.Parse"/>).</param>
    /// <param name="Spec">Every output of the model-only step (<see cref="TrackingNames.Spec"/>).</param>
    /// <param name="SourceOutput">Every output of the source output (the <c>AddSource</c> step).</param>
    public sealed record Reasons(IncrementalStepRunReason Parse, IncrementalStepRunReason Spec, IncrementalStepRunReason SourceOutput)
    {
        /// <summary>
        /// The transform ran again (ForAttributeWithMetadataName re-runs it for every annotated class whenever the
        /// compilation changes, since binding may depend on any file), its result compared equal to the previous one,
        /// so the model step and the source output were not run: cached.
        /// </summary>
        public static readonly Reasons ReparsedUnchanged = new(IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached);
    }

    /// <summary>Edits outside the layer's file.</summary>
    public static TheoryData<string> OtherFileEdits => ["unrelated file edited", "unrelated file added", "unrelated file removed"];

    [Theory]
    [MemberData(nameof(OtherFileEdits))]
    public void EditsInOtherFilesKeepTheOutputCached(string scenario)
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Layer, "public class Other { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);

        CSharpCompilation second = scenario switch
        {
            "unrelated file edited" => first.ReplaceSyntaxTree(first.SyntaxTrees[1], Parse("public class Other { public int X; }", 1)),
            "unrelated file added" => first.AddSyntaxTrees(Parse("public static class More { public static int Twice(int x) => 2 * x; }", 2)),
            _ => first.RemoveSyntaxTrees(first.SyntaxTrees[1]),
        };
        driver = driver.RunGenerators(second);

        AssertReasons(driver.GetRunResult().Results.Single(), Reasons.ReparsedUnchanged, scenario);
    }

    [Fact]
    public void CommentAtTheTopOfTheLayerFileKeepsTheOutputCached()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Layer, "public class Other { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        driver = driver.RunGenerators(first.ReplaceSyntaxTree(first.SyntaxTrees[0], Parse("// a comment\n" + Layer, 0)));

        AssertReasons(driver.GetRunResult().Results.Single(), Reasons.ReparsedUnchanged, "comment in the layer file");
    }

    /// <summary>Edits in the file that holds the layers: the transform re-runs, the models compare equal, nothing is regenerated.</summary>
    public static TheoryData<string, string> LayerFileEdits => new()
    {
        { "same text re-parsed", TwoLayers },
        { "comment inside a layer class", TwoLayers.Replace("public partial class StemNorm\n{\n", "public partial class StemNorm\n{\n    // the stem's normalization\n") },
        { "doc comment on a layer", TwoLayers.Replace("[BatchNorm1d(128", "/// <summary>Head.</summary>\n[BatchNorm1d(128") },
        { "whitespace and line breaks", TwoLayers.Replace("[BatchNorm2d(64, 32, 32)]", "[BatchNorm2d( 64,\n    32,\n    32 )]").Replace("\n\n", "\n\n\n") },
        { "body of an unrelated class in the layer file", TwoLayers.Replace("public int Value;", "public int Value;\n    public string Name = \"x\";") },
        { "layer moved down past other code", MoveStemNormToTheEnd(TwoLayers) },
        { "code inserted above the layers", TwoLayers.Replace("namespace Models;\n", "namespace Models;\n\npublic enum Mode { Train, Eval }\n\ninternal static class Helpers { public static int Twice(int x) => 2 * x; }\n") },
        { "member added to a layer class", TwoLayers.Replace("public partial class HeadNorm\n{\n", "public partial class HeadNorm\n{\n    public string Describe() => \"head\";\n") },
    };

    [Theory]
    [MemberData(nameof(LayerFileEdits))]
    public void EditsInTheLayerFileKeepTheOutputCached(string scenario, string edited)
    {
        (GeneratorRunResult result, _) = RunTwice(TwoLayers, edited);

        AssertReasons(result, Reasons.ReparsedUnchanged, scenario);
        Assert.Equal(2, result.TrackedSteps[TrackingNames.Spec].SelectMany(s => s.Outputs).Count());
    }

    /// <summary>
    /// Swapping two layers of the same attribute in one file is the one layout edit that regenerates: Roslyn compares a
    /// step's outputs by position, so each position now holds the other model (Modified). The output stays correct;
    /// docs/generator.md lists this.
    /// </summary>
    [Fact]
    public void SwappingTwoLayersOfOneKindRegeneratesThemCorrectly()
    {
        const string a = "[BatchNorm1d(8)] public partial class A { }\n";
        const string b = "[BatchNorm1d(16)] public partial class B { }\n";
        const string header = "using NormGen;\nnamespace Models;\n";
        (GeneratorRunResult result, _) = RunTwice(header + a + b, header + b + a);

        Assert.Equal(["Models.A.g.cs", "Models.B.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order());
        Assert.Contains("public const int NumFeatures = 8;", result.GeneratedSources.Single(s => s.HintName == "Models.A.g.cs").SourceText.ToString());
        Assert.Contains("public const int NumFeatures = 16;", result.GeneratedSources.Single(s => s.HintName == "Models.B.g.cs").SourceText.ToString());
    }

    [Fact]
    public void AddingASecondLayerLeavesTheFirstCached()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Layer);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        driver = driver.RunGenerators(first.AddSyntaxTrees(Parse("using NormGen;\nnamespace Models;\n[BatchNorm1d(8)] public partial class Extra { }", 1)));

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.Equal(
            [IncrementalStepRunReason.New, IncrementalStepRunReason.Cached],
            outputs.Select(o => o.Reason).Order());
        Assert.Equal(["Models.Extra.g.cs", "Models.StemNorm.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order());
    }

    [Fact]
    public void ChangingAnAttributeArgumentRegenerates()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Layer);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        CSharpCompilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees[0],
            CSharpSyntaxTree.ParseText(Layer.Replace("32, 32)", "32, 32, Eps = 1e-3)"), GeneratorHarness.ParseOptions, path: "Source0.cs"));
        driver = driver.RunGenerators(second);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TrackingNames.Spec].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("public const double Eps = 0.001;", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void ChangingOneOfTwoLayersRegeneratesOnlyThatOne()
    {
        (GeneratorRunResult result, _) = RunTwice(TwoLayers, TwoLayers.Replace("[BatchNorm1d(128, Eps = 1e-3)]", "[BatchNorm1d(256, Eps = 1e-3)]"));

        var sourceOutputs = SourceOutputs(result).Select(o => o.Reason).Order().ToList();
        Assert.Equal([IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached], sourceOutputs);
        Assert.Contains("public const int NumFeatures = 256;", result.GeneratedSources.Single(s => s.HintName == "Models.HeadNorm.g.cs").SourceText.ToString());
    }

    [Fact]
    public void TheSameSourceCompiledTwiceGivesEqualModels()
    {
        var first = Capture();
        var second = Capture();
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());

        static object Capture()
        {
            GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.CreateCompilation(Layer));
            return driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Spec].Single().Outputs.Single().Value;
        }
    }

    /// <summary>Roslyn types that must never be reachable from a model: they pin a compilation and defeat caching.</summary>
    private static readonly Type[] ForbiddenTypes =
    [
        typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(SemanticModel),
        typeof(SyntaxToken), typeof(SyntaxTrivia), typeof(SyntaxReference), typeof(AttributeData), typeof(TypedConstant), typeof(Diagnostic),
    ];

    /// <summary>
    /// STJ's <c>SourceGenModelDoesNotEncapsulateSymbolsOrCompilationData</c>, twice over: the model types (layers and
    /// modules) declare no field that could hold a Roslyn object (walked over the declared field types, so it covers
    /// every layer kind), and the
    /// model instances of a varied project reach no such object at run time (walked over the actual object graph).
    /// </summary>
    [Fact]
    public void ModelsHoldNoSymbolsSyntaxOrCompilationData()
    {
        AssertTypeGraphIsPlainData(typeof(LayerSpec), new HashSet<Type>(), "LayerSpec");
        AssertTypeGraphIsPlainData(typeof(ModuleSpec), new HashSet<Type>(), "ModuleSpec");

        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.CreateCompilation(
            TwoLayers,
            """
            using NormGen;
            namespace Network;
            public static partial class Blocks
            {
                public partial struct Inner
                {
                    [BatchNorm3d(16, 4, 8, 8, Affine = false, TrackRunningStats = false)] internal sealed partial class VolumeNorm { }
                }

                [BatchNorm1d(32, Length = 3, CumulativeAverage = true)] public partial record class SeqNorm;
            }
            """));

        var models = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Spec].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.Equal(3, models.Count);
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (object model in models)
        {
            Assert.IsType<LayerSpec>(model);
            AssertObjectGraphIsPlainData(model, visited, "LayerSpec");
        }
    }

    /// <summary>The walks are not vacuous: the transform's result, which carries diagnostics (with locations), fails both.</summary>
    [Fact]
    public void TheWalksDetectCompilationData()
    {
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertTypeGraphIsPlainData(typeof(NormGen.Generator.Parsing.ParseResult), new HashSet<Type>(), "ParseResult"));

        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(
            GeneratorHarness.CreateCompilation("using NormGen;\n[BatchNorm1d(4, Momentum = 2)] public partial class Bad { }"));
        object parsed = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Parse].Single().Outputs.Single().Value;
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertObjectGraphIsPlainData(parsed, new HashSet<object>(ReferenceEqualityComparer.Instance), "ParseResult"));
    }

    private static void AssertTypeGraphIsPlainData(Type type, HashSet<Type> visited, string path)
    {
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || !visited.Add(type))
        {
            return;
        }

        Type? underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            AssertTypeGraphIsPlainData(underlying, visited, path);
            return;
        }

        Assert.False(ForbiddenTypes.Any(f => f.IsAssignableFrom(type)), $"{path} is a {type.Name}, which holds compilation data");
        Assert.False(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>), $"{path} is an ImmutableArray, which compares by reference");
        Assert.False(type == typeof(object) || type.IsInterface || (type.IsAbstract && !type.IsSealed), $"{path} is declared as {type.Name}, which could hold anything");

        if (type.IsArray)
        {
            AssertTypeGraphIsPlainData(type.GetElementType()!, visited, path + "[]");
            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertTypeGraphIsPlainData(field.FieldType, visited, $"{path}.{field.Name}");
        }
    }

    private static void AssertObjectGraphIsPlainData(object? value, HashSet<object> visited, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Type type = value.GetType();
        Assert.False(ForbiddenTypes.Any(f => f.IsInstanceOfType(value)), $"{path} holds a {type.Name}");
        if (!type.IsValueType && !visited.Add(value))
        {
            return;
        }

        if (value is IEnumerable sequence && type.IsArray)
        {
            int i = 0;
            foreach (object? item in sequence)
            {
                AssertObjectGraphIsPlainData(item, visited, $"{path}[{i++}]");
            }

            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertObjectGraphIsPlainData(field.GetValue(value), visited, $"{path}.{field.Name}");
        }
    }

    private static SyntaxTree Parse(string source, int index) =>
        CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: $"Source{index}.cs");

    /// <summary>Runs the generator on <paramref name="before"/>, then on a new compilation where the file reads <paramref name="after"/>.</summary>
    private static (GeneratorRunResult Result, CSharpCompilation Second) RunTwice(string before, string after)
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(before, "public class Other { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        CSharpCompilation second = first.ReplaceSyntaxTree(first.SyntaxTrees[0], Parse(after, 0));
        Assert.NotSame(first, second);
        driver = driver.RunGenerators(second);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return (result, second);
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> SourceOutputs(GeneratorRunResult result) =>
        result.TrackedOutputSteps.TryGetValue(WellKnownGeneratorOutputs.SourceOutput, out var steps)
            ? steps.SelectMany(s => s.Outputs)
            : [];

    private static void AssertReasons(GeneratorRunResult result, Reasons expected, string scenario)
    {
        var parse = result.TrackedSteps[TrackingNames.Parse].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(parse);
        Assert.All(parse, o => Assert.True(o.Reason == expected.Parse, $"{scenario}: the transform was {o.Reason}, expected {expected.Parse}"));

        var spec = result.TrackedSteps[TrackingNames.Spec].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(spec);
        Assert.All(spec, o => Assert.True(o.Reason == expected.Spec, $"{scenario}: the model step was {o.Reason}, expected {expected.Spec}"));

        var outputs = SourceOutputs(result).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason == expected.SourceOutput, $"{scenario}: the source output was {o.Reason}, expected {expected.SourceOutput}"));
    }

    /// <summary>Moves the StemNorm declaration (attribute and body) from the top of the file to the end.</summary>
    private static string MoveStemNormToTheEnd(string source)
    {
        const string stem = "[BatchNorm2d(64, 32, 32)]\npublic partial class StemNorm\n{\n}\n\n";
        Assert.Contains(stem, source);
        return source.Replace(stem, "") + "\n" + stem.TrimEnd('\n') + "\n";
    }
}
