using System;
using System.Diagnostics;

namespace NormGen.Runtime.Tests;

/// <summary>
/// Bytes a call allocates once the process has settled. Tiered compilation re-JITs hot methods in the background (call
/// counting starts only after 100 ms without new tier-0 code), and installing the new code can allocate on the calling
/// thread once; that is not a per-call allocation. So: warm up for at least half a second, then measure five rounds and
/// keep the least. A per-call allocation shows in every round; a one-time one in one round at most.
/// </summary>
internal static class SteadyState
{
    /// <summary>The least number of bytes this thread allocated over five rounds of <paramref name="calls"/> calls of <paramref name="step"/>.</summary>
    public static long AllocatedBytes(Action step, int calls = 20)
    {
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < 20 || warmup.ElapsedMilliseconds < 500; i++)
        {
            step();
        }

        long least = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                step();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
