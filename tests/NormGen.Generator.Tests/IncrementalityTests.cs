using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The model is value-equatable, so edits that do not change a layer leave its source output cached.
/// Every scenario runs the driver on a new compilation (re-running the same compilation proves nothing).
/// </summary>
public sealed class IncrementalityTests
{
    private const string Layer = """
        using NormGen;
        namespace Models;
        [BatchNorm2d(64, 32, 32)] public partial class StemNorm { }
        """;

    [Theory]
    [InlineData("unrelated file edited", "public class Other { public int X; }")]
    [InlineData("comment in the layer file", null)]
    public void EditsThatDoNotChangeTheLayerKeepTheOutputCached(string scenario, string? unrelated)
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Layer, "public class Other { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);

        CSharpCompilation second = unrelated is not null
            ? first.ReplaceSyntaxTree(first.SyntaxTrees[1], CSharpSyntaxTree.ParseText(unrelated, GeneratorHarness.ParseOptions, path: "Source1.cs"))
            : first.ReplaceSyntaxTree(first.SyntaxTrees[0], CSharpSyntaxTree.ParseText("// a comment\n" + Layer, GeneratorHarness.ParseOptions, path: "Source0.cs"));
        driver = driver.RunGenerators(second);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var specSteps = result.TrackedSteps[TrackingNames.Spec].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(specSteps);
        Assert.All(specSteps, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{scenario}: the model step was {o.Reason}"));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{scenario}: an output step was {o.Reason}"));
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
}
