using Microsoft.CodeAnalysis;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The generated source of every attribute variant, compared with committed snapshots. Each case also asserts
/// that the generator reports nothing and that the user code plus generated code compiles with no error or warning.
/// </summary>
public sealed class GeneratorSnapshotTests
{
    public static TheoryData<string, string> Variants => new()
    {
        { "BatchNorm1d", "[BatchNorm1d(128)] public partial class HeadNorm { }" },
        { "BatchNorm1dLength", "[BatchNorm1d(64, Length = 16)] public partial class SeqNorm { }" },
        { "BatchNorm2d", "[BatchNorm2d(64, 32, 32)] public partial class StemNorm { }" },
        { "BatchNorm2dSmallPlanes", "[BatchNorm2d(512, 7, 7)] public partial class TailNorm { }" },
        { "BatchNorm3d", "[BatchNorm3d(16, 4, 8, 8)] public partial class VolumeNorm { }" },
        { "AffineOff", "[BatchNorm2d(8, 5, 5, Affine = false)] public partial class PlainNorm { }" },
        { "TrackingOff", "[BatchNorm2d(8, 5, 5, TrackRunningStats = false)] public partial class BatchOnlyNorm { }" },
        { "CumulativeAverage", "[BatchNorm1d(32, Length = 3, CumulativeAverage = true, Eps = 1e-3)] public partial class AverageNorm { }" },
        { "LayerNorm", "[LayerNorm(768)] public partial class BlockNorm { }" },
        { "LayerNormNoBias", "[LayerNorm(16, 32, ElementwiseAffine = true, Bias = false)] public partial class PatchNorm { }" },
        { "GroupNorm", "[GroupNorm(32, 256, 14, 14)] public partial class ResNorm { }" },
        { "GroupNormFlat", "[GroupNorm(8, 64)] public partial class FlatGroupNorm { }" },
        { "InstanceNorm1d", "[InstanceNorm1d(64, 100)] public partial class StyleNorm { }" },
        { "InstanceNorm2dTracked", "[InstanceNorm2d(64, 28, 28, Affine = true, TrackRunningStats = true)] public partial class TrackedStyleNorm { }" },
        { "InstanceNorm3d", "[InstanceNorm3d(8, 4, 16, 16)] public partial class VolumeStyleNorm { }" },
        { "RmsNorm", "[RmsNorm(4096)] public partial class DecoderNorm { }" },
        { "LocalResponseNorm", "[LocalResponseNorm(5, 96, 55, 55)] public partial class AlexNorm { }" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void GeneratedSourceMatchesSnapshot(string variant, string declaration)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using NormGen;

            namespace Models;

            {{declaration}}
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
        GeneratedSourceResult source = Assert.Single(run.Sources);
        Snapshot.Verify($"{nameof(GeneratorSnapshotTests)}.{variant}#{Path.GetFileNameWithoutExtension(source.HintName)}", source.SourceText.ToString());
    }

    [Fact]
    public void NestedLayerInGlobalNamespaceReopensEveryContainingType()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using NormGen;

            public partial record Network
            {
                internal partial struct Blocks
                {
                    [BatchNorm1d(4)] private partial class Norm { }
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
        GeneratedSourceResult source = Assert.Single(run.Sources);
        Assert.Equal("Network.Blocks.Norm.g.cs", source.HintName);
        Snapshot.Verify($"{nameof(GeneratorSnapshotTests)}.Nested#{Path.GetFileNameWithoutExtension(source.HintName)}", source.SourceText.ToString());
    }

    [Fact]
    public void SameClassNameInTwoNamespacesGetsDistinctFiles()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "namespace A { [NormGen.BatchNorm1d(4)] public partial class Norm { } }",
            "namespace B { [NormGen.BatchNorm1d(8)] public partial class Norm { } }");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
        Assert.Equal(["A.Norm.g.cs", "B.Norm.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NumbersAreWrittenInTheInvariantCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // A culture like fi-FI: comma decimal separator and U+2212 as the minus sign (built by hand so the
            // test also runs with invariant globalization).
            var hostile = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            hostile.NumberFormat.NumberDecimalSeparator = ",";
            hostile.NumberFormat.NegativeSign = "\u2212";
            System.Globalization.CultureInfo.CurrentCulture = hostile;
            GeneratorRun run = GeneratorHarness.Run("[NormGen.BatchNorm1d(4, Eps = 1.5e-3, Momentum = 0.25)] public partial class Norm { } [NormGen.BatchNorm1d(-2)] public partial class Bad { }");
            string text = Assert.Single(run.Sources).SourceText.ToString();
            Assert.Contains("it is -2", Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("public const double Eps = 0.0015;", text);
            Assert.Contains("public const double Momentum = 0.25;", text);
            Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
