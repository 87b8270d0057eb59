using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading;

namespace NormGen;

/// <summary>
/// Runs the blocks of one pass of a generated layer, on the calling thread alone or together with background workers
/// (at most <see cref="NormThreads.MaxThreads"/> threads in all, and no more than there are processors). Threads claim
/// blocks one at a time from a shared counter, so a worker that wakes late only takes fewer blocks, and the caller never
/// waits for a worker that has not started: once every block is claimed it waits only for blocks still running.
/// Nothing is allocated per call: the spans are pinned for the duration of the call and handed to the workers as
/// pointers. One parallel pass runs at a time in the process; a call that finds the workers busy (another thread's
/// layer) runs its blocks on its own thread. Idle workers poll briefly for the next pass, then block.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class BlockScheduler
{
    /// <summary>How long an idle worker polls for the next pass before it blocks (back-to-back passes then start at once).</summary>
    private static readonly long IdleTicks = System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs

    private static readonly object s_gate = new();
    private static readonly SemaphoreSlim s_wake = new(0);
    private static int s_helperThreads;

    // The pass in flight, written by the caller (holding s_gate) before it publishes a new generation.
    private static IBlockWork? s_work;
    private static int s_pass;
    private static int s_blocks;
    private static int s_helpers;
    private static float* s_first, s_second, s_output;
    private static int s_firstLength, s_secondLength, s_outputLength;
    private static Exception? s_failure;

    // Synchronization: the generation of the latest pass, the latest generation that accepts no more helpers, the next
    // unclaimed block, the helpers inside the current pass, and the helpers blocked on s_wake.
    private static int s_generation;
    private static int s_closed;
    private static int s_next;
    private static int s_active;
    private static int s_blocked;

    /// <summary>Blocks run by helper threads since the process started (tests check that passes really run in parallel).</summary>
    internal static long HelperBlocks;

    /// <summary>
    /// The threads a pass of <paramref name="blocks"/> blocks may use: 1 unless <paramref name="parallel"/>, else up to
    /// <see cref="NormThreads.MaxThreads"/>, the processor count and the number of blocks. Layers size per-thread scratch
    /// memory with it and pass it to <see cref="Run"/>.
    /// </summary>
    public static int Threads(int blocks, bool parallel) =>
        parallel ? Math.Max(1, Math.Min(blocks, Math.Min(NormThreads.MaxThreads, Environment.ProcessorCount))) : 1;

    /// <summary>
    /// Runs blocks 0 .. <paramref name="blocks"/> - 1 of <paramref name="pass"/> on up to <paramref name="threads"/> threads
    /// (from <see cref="Threads"/>); with 1, all on the calling thread. Worker indices are below <paramref name="threads"/>.
    /// </summary>
    public static void Run(IBlockWork work, int pass, int blocks, int threads, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
    {
        if (threads <= 1 || blocks <= 1 || !Monitor.TryEnter(s_gate))
        {
            for (int block = 0; block < blocks; block++)
            {
                work.RunBlock(pass, block, 0, first, second, output);
            }

            return;
        }

        try
        {
            RunParallel(work, pass, blocks, Math.Min(threads, blocks) - 1, first, second, output);
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static void RunParallel(IBlockWork work, int pass, int blocks, int helpers, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
    {
        EnsureHelperThreads(helpers);
        fixed (float* pFirst = &MemoryMarshal.GetReference(first))
        fixed (float* pSecond = &MemoryMarshal.GetReference(second))
        fixed (float* pOutput = &MemoryMarshal.GetReference(output))
        {
            s_work = work;
            s_pass = pass;
            s_blocks = blocks;
            s_helpers = helpers;
            s_first = pFirst;
            s_firstLength = first.Length;
            s_second = pSecond;
            s_secondLength = second.Length;
            s_output = pOutput;
            s_outputLength = output.Length;
            s_failure = null;
            Volatile.Write(ref s_next, 0);
            int generation = Interlocked.Increment(ref s_generation);
            int blocked = Volatile.Read(ref s_blocked);
            if (blocked > 0)
            {
                s_wake.Release(Math.Min(blocked, helpers));
            }

            // The calling thread is worker 0 and claims blocks like the helpers.
            RunBlocks(work, pass, blocks, 0, first, second, output);

            // Every block is claimed: close the pass to helpers that have not joined yet, then wait for the running ones.
            Interlocked.Exchange(ref s_closed, generation);
            var spin = default(SpinWait);
            while (Volatile.Read(ref s_active) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            s_work = null;
            s_first = s_second = s_output = null;
        }

        if (s_failure is { } failure)
        {
            s_failure = null;
            throw new InvalidOperationException("A NormGen worker thread failed while running a layer.", failure);
        }
    }

    private static void RunBlocks(IBlockWork work, int pass, int blocks, int worker, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output)
    {
        int block;
        while ((block = Interlocked.Increment(ref s_next) - 1) < blocks)
        {
            work.RunBlock(pass, block, worker, first, second, output);
            if (worker != 0)
            {
                Interlocked.Increment(ref HelperBlocks);
            }
        }
    }

    private static void EnsureHelperThreads(int helpers)
    {
        for (int index = s_helperThreads + 1; index <= helpers; index++)
        {
            int worker = index;
            var thread = new Thread(() => HelperLoop(worker), 256 * 1024)
            {
                IsBackground = true,
                Name = $"NormGen worker {worker}",
            };
            thread.Start();
            s_helperThreads = index;
        }
    }

    private static void HelperLoop(int worker)
    {
        int seen = Volatile.Read(ref s_generation);
        while (true)
        {
            seen = WaitForGeneration(seen);
            if (worker > Volatile.Read(ref s_helpers))
            {
                continue;
            }

            // Join only the pass this helper was woken for, and only while it is open; the caller waits for joined helpers.
            Interlocked.Increment(ref s_active);
            try
            {
                if (Volatile.Read(ref s_closed) < seen && Volatile.Read(ref s_generation) == seen)
                {
                    IBlockWork work = s_work!;
                    RunBlocks(
                        work,
                        s_pass,
                        s_blocks,
                        worker,
                        new ReadOnlySpan<float>(s_first, s_firstLength),
                        new ReadOnlySpan<float>(s_second, s_secondLength),
                        new Span<float>(s_output, s_outputLength));
                }
            }
            catch (Exception e)
            {
                s_failure ??= e;
                Volatile.Write(ref s_next, int.MaxValue / 2); // claim the remaining blocks so the pass ends
            }
            finally
            {
                Interlocked.Decrement(ref s_active);
            }
        }
    }

    /// <summary>Polls for a generation other than <paramref name="seen"/> for a while, then blocks; returns it.</summary>
    private static int WaitForGeneration(int seen)
    {
        while (true)
        {
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + IdleTicks;
            do
            {
                int now = Volatile.Read(ref s_generation);
                if (now != seen)
                {
                    return now;
                }

                Thread.SpinWait(8);
            }
            while (System.Diagnostics.Stopwatch.GetTimestamp() < deadline);

            Interlocked.Increment(ref s_blocked);
            int current = Volatile.Read(ref s_generation);
            if (current == seen)
            {
                s_wake.Wait();
            }

            Interlocked.Decrement(ref s_blocked);
        }
    }
}
