using NormGen.Generator.Emit;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// Rows per call of the column walks (<see cref="KernelEmitter.ColumnRowsFor"/>): as many as 32 consecutive samples,
/// fewer when their lines at one column would crowd into an L1 set (64 sets of 64-byte lines, so byte offsets that
/// are equal modulo 4096 share a set; 8 ways). The expected values are worked out by hand from the sample stride.
/// </summary>
public sealed class ColumnRowsTests
{
    [Theory]
    // 7x7 planes of 512 channels: 100352 bytes = 24.5 x 4096, so the rows alternate between two sets.
    // One input: 16 rows put 8 lines in each set; two inputs (x and dy, possibly aliased): 8 rows.
    [InlineData(49 * 512, 1, 16)]
    [InlineData(49 * 512, 2, 8)]
    // BatchNorm1d over (N, 512): 2048 bytes, two sets as well.
    [InlineData(512, 1, 16)]
    [InlineData(512, 2, 8)]
    // 4096 bytes: every row in the same set.
    [InlineData(1024, 1, 8)]
    [InlineData(1024, 2, 4)]
    // 7x7 planes of 64 channels: 12544 bytes, 256 more than 3 x 4096, so 16 rows land in 16 different sets and
    // 32 rows in two lines per set (four with two inputs).
    [InlineData(49 * 64, 1, 32)]
    [InlineData(49 * 64, 2, 32)]
    // BatchNorm1d over (N, 3): 12-byte rows, 32 of them within 384 bytes (6 lines, one per set).
    [InlineData(3, 1, 32)]
    [InlineData(3, 2, 32)]
    // 65536 bytes (16 pages): every row in the same set; never fewer rows than the kernel's 4 chains.
    [InlineData(16384, 2, 4)]
    public void RowsKeepEachL1SetWithinItsWays(int sampleSize, int inputs, int expected) =>
        Assert.Equal(expected, KernelEmitter.ColumnRowsFor(sampleSize, inputs));
}
