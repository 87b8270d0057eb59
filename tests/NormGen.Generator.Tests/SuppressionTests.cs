using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// Generator diagnostics honour <c>#pragma warning disable</c> and per-ID severity options, because they carry real
/// source locations. The public API that shows it: the generator driver filters every generator diagnostic through the
/// compilation's options and the pragmas of the tree it points into (GeneratorDriver.FilterDiagnostics calls
/// CompilationOptions.FilterDiagnostic), so <see cref="GeneratorDriverRunResult.Diagnostics"/> and the diagnostics of
/// <see cref="GeneratorDriver.RunGeneratorsAndUpdateCompilation"/> arrive with <see cref="Diagnostic.IsSuppressed"/> set,
/// exactly as the command-line compiler receives them (it drops suppressed diagnostics from the error list).
/// The real build is checked too: samples/PackageConsumer/PragmaSuppression.cs builds only if the pragma works.
/// </summary>
public sealed class SuppressionTests
{
    private const string Invalid = "[BatchNorm1d(4, Momentum = 2)] public partial class Norm { }";

    [Fact]
    public void PragmaWarningDisableSuppressesTheGeneratorDiagnostic()
    {
        Diagnostic diagnostic = RunSingle($"using NormGen;\n#pragma warning disable NG0104\n{Invalid}\n#pragma warning restore NG0104\n");

        Assert.Equal("NG0104", diagnostic.Id);
        Assert.True(diagnostic.IsSuppressed, "#pragma warning disable NG0104 must suppress NG0104");
    }

    [Theory]
    [InlineData("no pragma", "using NormGen;\n" + Invalid)]
    [InlineData("pragma restored before the declaration", "using NormGen;\n#pragma warning disable NG0104\n#pragma warning restore NG0104\n" + Invalid)]
    [InlineData("pragma for another ID", "using NormGen;\n#pragma warning disable NG0103\n" + Invalid)]
    [InlineData("pragma after the declaration", "using NormGen;\n" + Invalid + "\n#pragma warning disable NG0104\n")]
    public void OtherwiseTheDiagnosticIsReported(string scenario, string source)
    {
        Diagnostic diagnostic = RunSingle(source);

        Assert.Equal("NG0104", diagnostic.Id);
        Assert.False(diagnostic.IsSuppressed, scenario);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }

    [Fact]
    public void ThePragmaAppliesToTheLocationOfTheDiagnosticNotToTheClass()
    {
        // NG0104 points at 'Momentum = 2': a pragma that covers only the argument suppresses it.
        Diagnostic diagnostic = RunSingle("using NormGen;\n[BatchNorm1d(4,\n#pragma warning disable NG0104\n    Momentum = 2)]\n#pragma warning restore NG0104\npublic partial class Norm { }");
        Assert.True(diagnostic.IsSuppressed);
    }

    [Fact]
    public void SeverityOptionsApplyAsForAnyAnalyzerDiagnostic()
    {
        // What '<NoWarn>NG0104</NoWarn>' and 'dotnet_diagnostic.NG0104.severity = ...' in .editorconfig become.
        Assert.Empty(Run("using NormGen;\n" + Invalid, ("NG0104", ReportDiagnostic.Suppress)).Diagnostics);

        Diagnostic warning = Assert.Single(Run("using NormGen;\n" + Invalid, ("NG0104", ReportDiagnostic.Warn)).Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
    }

    private static Diagnostic RunSingle(string source)
    {
        (ImmutableArray<Diagnostic> fromRun, ImmutableArray<Diagnostic> fromUpdate) = Run(source);
        Diagnostic diagnostic = Assert.Single(fromRun);
        Diagnostic same = Assert.Single(fromUpdate);
        Assert.Equal(diagnostic.IsSuppressed, same.IsSuppressed);
        Assert.True(diagnostic.Location.IsInSource);
        return diagnostic;
    }

    /// <summary>The generator's diagnostics as the driver reports them, through both public entry points.</summary>
    private static (ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> FromUpdate) Run(string source, params (string Id, ReportDiagnostic Report)[] options)
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(source);
        if (options.Length > 0)
        {
            compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(options.ToDictionary(o => o.Id, o => o.Report)));
        }

        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> fromUpdate);
        GeneratorDriverRunResult result = driver.GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        return (result.Diagnostics, fromUpdate);
    }
}
