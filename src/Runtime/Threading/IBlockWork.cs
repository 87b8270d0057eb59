using System;
using System.ComponentModel;

namespace NormGen;

/// <summary>
/// Work that generated layers split into blocks of samples for <see cref="BlockScheduler"/>. Implemented explicitly by
/// generated layers; not meant to be called from user code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IBlockWork
{
    /// <summary>
    /// Runs block <paramref name="block"/> of pass <paramref name="pass"/>. <paramref name="worker"/> is the index of the thread
    /// running it (0 is the calling thread; below the thread count given to <see cref="BlockScheduler.Run"/>), for
    /// per-thread scratch memory.
    /// The spans are the ones given to <see cref="BlockScheduler.Run"/>.
    /// </summary>
    void RunBlock(int pass, int block, int worker, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output);
}
