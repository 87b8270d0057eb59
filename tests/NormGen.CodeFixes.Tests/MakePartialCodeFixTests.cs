using Xunit;
using VerifyPartial = NormGen.CodeFixes.Tests.Verify<NormGen.CodeFixes.MakePartialCodeFixProvider>;

namespace NormGen.CodeFixes.Tests;

/// <summary>NG0001 and NG0002: the fix adds 'partial' where the generator says it is missing.</summary>
public sealed class MakePartialCodeFixTests
{
    [Fact]
    public Task ClassWithModifiers() => VerifyPartial.CodeFixAsync(
        """
        using NormGen;

        namespace Models;

        [BatchNorm2d(64, 32, 32)]
        public sealed class {|NG0001:StemNorm|}
        {
        }
        """,
        """
        using NormGen;

        namespace Models;

        [BatchNorm2d(64, 32, 32)]
        public sealed partial class StemNorm
        {
        }
        """);

    [Fact]
    public Task ClassWithoutModifiersKeepsItsLayout() => VerifyPartial.CodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d(4)]
            class {|NG0001:Norm|} { }
        """,
        """
        using NormGen;

        [BatchNorm1d(4)]
            partial class Norm { }
        """);

    [Fact]
    public Task ContainingTypes() => VerifyPartial.CodeFixAsync(
        """
        using NormGen;

        public static class {|NG0002:Network|}
        {
            internal struct {|NG0002:Block|}
            {
                [BatchNorm1d(4)] public partial class Norm { }
            }
        }
        """,
        """
        using NormGen;

        public static partial class Network
        {
            internal partial struct Block
            {
                [BatchNorm1d(4)] public partial class Norm { }
            }
        }
        """);

    [Fact]
    public Task ClassAndContainingRecord() => VerifyPartial.CodeFixAsync(
        """
        using NormGen;

        public record {|NG0002:Model|}
        {
            [BatchNorm1d(4)] public class {|NG0001:Norm|} { }
        }
        """,
        """
        using NormGen;

        public partial record Model
        {
            [BatchNorm1d(4)] public partial class Norm { }
        }
        """);

    [Fact]
    public Task EveryLayerInTheDocument() => VerifyPartial.CodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d(4)] public class {|NG0001:A|} { }
        [BatchNorm2d(4, 2, 2)] internal class {|NG0001:B|} { }
        [BatchNorm3d(4, 2, 2, 2)] public abstract class {|NG0001:C|} { }
        """,
        """
        using NormGen;

        [BatchNorm1d(4)] public partial class A { }
        [BatchNorm2d(4, 2, 2)] internal partial class B { }
        [BatchNorm3d(4, 2, 2, 2)] public abstract partial class C { }
        """);

    [Fact]
    public Task GenericClassHasNoFix() => VerifyPartial.NoCodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d(4)] public partial class Norm{|NG0003:<T>|} { }
        """);
}
