using Xunit;
using VerifyRange = NormGen.CodeFixes.Tests.Verify<NormGen.CodeFixes.ArgumentRangeCodeFixProvider>;

namespace NormGen.CodeFixes.Tests;

/// <summary>NG0103 (Eps) and NG0104 (Momentum): out-of-range values are replaced by the obvious valid value.</summary>
public sealed class ArgumentRangeCodeFixTests
{
    [Theory]
    [InlineData("1.5", "1")]
    [InlineData("2", "1")]
    [InlineData("-0.1", "0")]
    [InlineData("-1e3", "0")]
    [InlineData("double.NaN", "0.1")]
    [InlineData("double.PositiveInfinity", "1")]
    public Task MomentumIsClampedIntoZeroToOne(string bad, string fixedValue) => VerifyRange.CodeFixAsync(
        $$"""
        using NormGen;

        [BatchNorm2d(64, 32, 32, {|NG0104:Momentum = {{bad}}|})]
        public partial class StemNorm { }
        """,
        $$"""
        using NormGen;

        [BatchNorm2d(64, 32, 32, Momentum = {{fixedValue}})]
        public partial class StemNorm { }
        """);

    [Theory]
    [InlineData("-1e-5")]
    [InlineData("-1")]
    [InlineData("double.NaN")]
    [InlineData("-0.5f")]
    public Task NegativeEpsBecomesPyTorchsDefault(string bad) => VerifyRange.CodeFixAsync(
        $$"""
        using NormGen;

        [BatchNorm1d(128, {|NG0103:Eps = {{bad}}|}, Affine = false)]
        public partial class HeadNorm { }
        """,
        """
        using NormGen;

        [BatchNorm1d(128, Eps = 1e-5, Affine = false)]
        public partial class HeadNorm { }
        """);

    [Fact]
    public Task BothArgumentsOfOneAttribute() => VerifyRange.CodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d(8, {|NG0103:Eps = -1|}, {|NG0104:Momentum = 3|})] public partial class A { }
        """,
        """
        using NormGen;

        [BatchNorm1d(8, Eps = 1e-5, Momentum = 1)] public partial class A { }
        """,
        fixAllIterations: 2);

    [Fact]
    public Task FixAllClampsEachMomentumTowardsItsOwnBound() => VerifyRange.CodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d(8, {|NG0104:Momentum = 3|})] public partial class A { }
        [BatchNorm1d(8, {|NG0104:Momentum = -3|})] public partial class B { }
        """,
        """
        using NormGen;

        [BatchNorm1d(8, Momentum = 1)] public partial class A { }
        [BatchNorm1d(8, Momentum = 0)] public partial class B { }
        """);

    [Fact]
    public Task ConstantExpressionsAreEvaluated() => VerifyRange.CodeFixAsync(
        """
        using NormGen;

        public partial class Hyper
        {
            public const double M = 0.5;

            [BatchNorm1d(8, {|NG0104:Momentum = M * 4|})] public partial class A { }
        }
        """,
        """
        using NormGen;

        public partial class Hyper
        {
            public const double M = 0.5;

            [BatchNorm1d(8, Momentum = 1)] public partial class A { }
        }
        """);

    [Fact]
    public Task NonPositiveDimensionHasNoFix() => VerifyRange.NoCodeFixAsync(
        """
        using NormGen;

        [BatchNorm1d({|NG0101:0|})] public partial class Norm { }
        """);
}
