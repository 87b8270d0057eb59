using Microsoft.CodeAnalysis;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>Every diagnostic fires with its ID at the right location, and valid declarations produce none.</summary>
public sealed class DiagnosticTests
{
    [Theory]
    [InlineData("NG0001", "[BatchNorm1d(4)] public class Norm { }", "Norm", "add the 'partial' modifier")]
    [InlineData("NG0002", "public class Outer { [BatchNorm1d(4)] public partial class Norm { } }", "Outer", "add the 'partial' modifier to 'Outer'")]
    [InlineData("NG0003", "[BatchNorm1d(4)] public partial class Norm<T> { }", "<T>", "non-generic class")]
    [InlineData("NG0003", "public partial class Outer<T> { [BatchNorm1d(4)] public partial class Norm { } }", "Norm", "non-generic class")]
    [InlineData("NG0004", "[BatchNorm1d(4)] [BatchNorm2d(4, 2, 2)] public partial class Norm { }", "BatchNorm2d(4, 2, 2)", "remove [BatchNorm2d]")]
    [InlineData("NG0101", "[BatchNorm2d(64, 0, 32)] public partial class Norm { }", "0", "'height' of [BatchNorm2d] must be a positive integer, but it is 0")]
    [InlineData("NG0101", "[BatchNorm1d(-3)] public partial class Norm { }", "-3", "'numFeatures'")]
    [InlineData("NG0101", "[BatchNorm1d(3, Length = -1)] public partial class Norm { }", "Length = -1", "'Length'")]
    [InlineData("NG0101", "[BatchNorm3d(depth: 0, numFeatures: 4, height: 2, width: 2)] public partial class Norm { }", "depth: 0", "'depth'")]
    [InlineData("NG0102", "[BatchNorm3d(1024, 1024, 1024, 1024)] public partial class Norm { }", "BatchNorm3d(1024, 1024, 1024, 1024)", "1099511627776 elements")]
    [InlineData("NG0103", "[BatchNorm1d(4, Eps = -1e-5)] public partial class Norm { }", "Eps = -1e-5", "must be zero or positive")]
    [InlineData("NG0103", "[BatchNorm1d(4, Eps = double.NaN)] public partial class Norm { }", "Eps = double.NaN", "NaN")]
    [InlineData("NG0104", "[BatchNorm1d(4, Momentum = 1.5)] public partial class Norm { }", "Momentum = 1.5", "between 0 and 1")]
    [InlineData("NG0104", "[BatchNorm1d(4, Momentum = -0.1)] public partial class Norm { }", "Momentum = -0.1", "between 0 and 1")]
    [InlineData("NG0105", "[GroupNorm(3, 8, 4, 4)] public partial class Norm { }", "3", "8 channels in 3 groups")]
    [InlineData("NG0106", "[LayerNorm] public partial class Norm { }", "LayerNorm", "at least one normalized dimension")]
    [InlineData("NG0106", "[LocalResponseNorm(5, 96)] public partial class Norm { }", "LocalResponseNorm(5, 96)", "at least one spatial dimension")]
    [InlineData("NG0101", "[LayerNorm(16, 0)] public partial class Norm { }", "0", "'normalizedShape' of [LayerNorm]")]
    [InlineData("NG0101", "[GroupNorm(2, 4, 7, -7)] public partial class Norm { }", "-7", "'spatial' of [GroupNorm]")]
    [InlineData("NG0103", "[RmsNorm(64, Eps = -1)] public partial class Norm { }", "Eps = -1", "must be zero or positive")]
    [InlineData("NG0104", "[InstanceNorm2d(4, 8, 8, Momentum = 2)] public partial class Norm { }", "Momentum = 2", "between 0 and 1")]
    public void ReportsDiagnosticAtLocation(string id, string declaration, string locationText, string messagePart)
    {
        string source = "using NormGen;\n" + declaration;
        GeneratorRun run = GeneratorHarness.Run(source);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.True(diagnostic.Location.IsInSource, "diagnostics must have real source locations (suppressible, clickable)");
        Assert.Equal(locationText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Contains(messagePart, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
        Assert.StartsWith("https://", diagnostic.Descriptor.HelpLinkUri);
    }

    [Fact]
    public void ReportsEveryInvalidArgumentAtOnce()
    {
        GeneratorRun run = GeneratorHarness.Run("using NormGen;\n[BatchNorm2d(0, -1, 4, Eps = -1, Momentum = 2)] public partial class Norm { }");
        Assert.Equal(["NG0101", "NG0101", "NG0103", "NG0104"], run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void ValidDeclarationsProduceNoDiagnostics()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using NormGen;
            namespace Models;
            [BatchNorm1d(128)] public partial class A { }
            [BatchNorm1d(64, Length = 16, Eps = 0, Momentum = 1)] public partial class B { }
            [BatchNorm2d(64, 32, 32, Momentum = 0)] public partial class C { }
            [BatchNorm3d(16, 4, 8, 8, Affine = false, TrackRunningStats = false)] internal sealed partial class D { }
            public static partial class Holder { [BatchNorm1d(1)] public partial class E { } }
            [LayerNorm(4, 4, Eps = 0)] public partial class F { }
            [GroupNorm(1, 3)] public partial class G { }
            [InstanceNorm1d(2, 2, Momentum = 1)] public partial class H { }
            [RmsNorm(1)] public partial class I { }
            [LocalResponseNorm(1, 1, 1, Beta = 0)] public partial class J { }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
        Assert.Equal(10, run.Sources.Length);
    }

    [Fact]
    public void AttributeWithCompileErrorsIsLeftToTheCompiler()
    {
        GeneratorRun run = GeneratorHarness.Run("using NormGen;\n[BatchNorm2d(64)] public partial class Norm { }");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Sources);
        Assert.Contains(run.Input.GetDiagnostics(), d => d.Id == "CS7036");
    }
}
