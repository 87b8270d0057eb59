using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace NormGen.CodeFixes.Tests;

/// <summary>
/// The Roslyn code-fix test harness (Microsoft.CodeAnalysis.CSharp.CodeFix.Testing) wired to NormGen: diagnostics from
/// the real generator (<see cref="GeneratorDiagnosticsAnalyzer"/>), and explicit references instead of
/// <see cref="ReferenceAssemblies"/> packages, which the harness would otherwise download at test time.
/// </summary>
internal static class Verify<TCodeFix>
    where TCodeFix : CodeFixProvider, new()
{
    /// <summary>A target framework with no reference-assembly package: nothing is resolved from NuGet.</summary>
    private static readonly ReferenceAssemblies NoPackages = new("net10.0");

    private static readonly MetadataReference[] References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(NormGen.Parameter).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.Tensor).Assembly.Location),
    ];

    /// <summary>
    /// <paramref name="source"/> marks each expected diagnostic as <c>{|NG0001:span|}</c>; applying the fix (and, when
    /// there are several, fix-all) must give <paramref name="fixedSource"/> with no diagnostics left.
    /// </summary>
    /// <param name="fixAllIterations">Fix-all passes needed: one per equivalence key (code-action kind) involved.</param>
    public static Task CodeFixAsync(string source, string fixedSource, int? fixAllIterations = null)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        if (fixAllIterations is { } n)
        {
            test.NumberOfFixAllIterations = n;
        }

        return test.RunAsync();
    }

    /// <summary>The diagnostics in <paramref name="source"/> are reported, and no fix is offered for them.</summary>
    public static Task NoCodeFixAsync(string source)
    {
        var test = new Test { TestCode = source, FixedCode = source };
        return test.RunAsync();
    }

    private sealed class Test : CSharpCodeFixTest<GeneratorDiagnosticsAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = NoPackages;
            TestState.AdditionalReferences.AddRange(References);
        }
    }
}
