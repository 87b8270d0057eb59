using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The generated kernels are marked <c>AggressiveInlining</c>, and the JIT honours that only for methods that declare at
/// most 32 IL locals (<c>MAX_INL_LCLS</c> in the JIT's inline.h): a method with more is marked never inlinable, and every
/// call to it stays a call ("too many locals" in the runtime's MethodJitInliningFailed event). One kernel holding all
/// three vector widths' unrolled accumulators had 40 to 109. These tests compile the generated code as a Release build
/// does and count the locals of every such method in its IL.
/// </summary>
public sealed class InliningLimitTests
{
    /// <summary>The JIT's limit on the IL locals of an inlinee.</summary>
    private const int MaxInlineeLocals = 32;

    public static TheoryData<string> Layers => new()
    {
        // The snapshot variants' attributes, and the shapes of the benchmarks (bench/NormBench/Layers.cs).
        "[BatchNorm1d(128)]",
        "[BatchNorm1d(512)]",
        "[BatchNorm1d(64, Length = 16)]",
        "[BatchNorm1d(128, Length = 256)]",
        "[BatchNorm2d(64, 32, 32)]",
        "[BatchNorm2d(256, 14, 14)]",
        "[BatchNorm2d(32, 112, 112)]",
        "[BatchNorm2d(512, 7, 7)]",
        "[BatchNorm3d(16, 4, 8, 8)]",
        "[BatchNorm2d(8, 5, 5, Affine = false)]",
        "[BatchNorm2d(8, 5, 5, TrackRunningStats = false)]",
        "[BatchNorm1d(32, Length = 3, CumulativeAverage = true, Eps = 1e-3)]",
        "[LayerNorm(768)]",
        "[LayerNorm(16, 32, ElementwiseAffine = true, Bias = false)]",
        "[GroupNorm(32, 256, 14, 14)]",
        "[GroupNorm(8, 64)]",
        "[InstanceNorm1d(64, 100)]",
        "[InstanceNorm2d(64, 28, 28, Affine = true, TrackRunningStats = true)]",
        "[InstanceNorm3d(8, 4, 16, 16)]",
        "[RmsNorm(4096)]",
        // (LocalResponseNorm has no kernels of this kind.)
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void EveryAggressivelyInlinedMethodDeclaresAtMost32Locals(string attribute)
    {
        GeneratorRun run = GeneratorHarness.Run($"using NormGen; namespace Models; {attribute} public partial class Norm {{ }}");
        Assert.Empty(run.GeneratorDiagnostics);
        Compilation release = run.Output.WithOptions(((CSharpCompilationOptions)run.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));

        List<(string Name, int Locals)> methods = AggressivelyInlinedMethodLocals(release);

        Assert.NotEmpty(methods); // the kernels were found
        string[] over = methods.Where(m => m.Locals > MaxInlineeLocals).Select(m => $"{m.Name}: {m.Locals} locals").ToArray();
        Assert.True(over.Length == 0, $"{attribute}: methods marked AggressiveInlining that the JIT will not inline: {string.Join("; ", over)}");
    }

    /// <summary>The methods with <see cref="MethodImplAttributes.AggressiveInlining"/> in the emitted assembly, with the number of IL locals each declares.</summary>
    private static List<(string Name, int Locals)> AggressivelyInlinedMethodLocals(Compilation compilation)
    {
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        stream.Position = 0;
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        var result = new List<(string Name, int Locals)>();
        foreach (MethodDefinitionHandle handle in metadata.MethodDefinitions)
        {
            MethodDefinition method = metadata.GetMethodDefinition(handle);
            if ((method.ImplAttributes & MethodImplAttributes.AggressiveInlining) == 0 || method.RelativeVirtualAddress == 0)
            {
                continue;
            }

            MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
            int count = 0;
            if (!body.LocalSignature.IsNil)
            {
                BlobReader signature = metadata.GetBlobReader(metadata.GetStandaloneSignature(body.LocalSignature).Signature);
                Assert.Equal(SignatureKind.LocalVariables, signature.ReadSignatureHeader().Kind);
                count = signature.ReadCompressedInteger();
            }

            string type = metadata.GetString(metadata.GetTypeDefinition(method.GetDeclaringType()).Name);
            result.Add(($"{type}.{metadata.GetString(method.Name)}", count));
        }

        return result;
    }
}
