using System;
using System.Threading;

namespace NormGen;

/// <summary>
/// The process-wide cap on the threads NormGen layers use, like <c>torch.set_num_threads</c>. Generated layers split
/// large tensors (at least <see cref="ParallelMinBytes"/>, decided per layer shape at compile time) into blocks of samples
/// and run the blocks on up to <see cref="MaxThreads"/> threads: the calling thread and background workers. Smaller
/// tensors always run on the calling thread. The blocks are fixed by the shape and the batch size, and partial results are
/// combined in block order, so results are bit-for-bit the same for every thread count.
/// </summary>
public static class NormThreads
{
    /// <summary>Tensors of at least this many bytes may run on several threads (smaller ones never do).</summary>
    public const int ParallelMinBytes = 4 << 20;

    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// The most threads one layer call uses, counting the calling thread (default: <see cref="Environment.ProcessorCount"/>).
    /// Set it to 1 to run every layer single-threaded. It applies to calls that start after it is set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"NormThreads.MaxThreads must be at least 1 (1 = single-threaded), but it was set to {value}.");
            }

            Volatile.Write(ref s_maxThreads, value);
        }
    }
}
