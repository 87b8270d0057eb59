using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Reflection;

namespace NormBench;

/// <summary>
/// <c>--inlining</c>: runs the generated layers' benchmarks in steady state (as <c>--check</c> does) while listening to the runtime's
/// JIT inlining events (<c>Microsoft-Windows-DotNETRuntime</c>, keyword JitTracing), and reports every call from a
/// method of a generated layer to one of its <c>AggressiveInlining</c> kernels that the JIT compiled as a call, with
/// the JIT's reason. The kernels are written to be inlined (per plane or row, their sums in registers); the JIT refuses
/// a method with more than 32 locals, and one beyond its budget unless the root calls it directly (see
/// <c>KernelEmitter.WriteDispatchedKernel</c> and <c>LayerEmitter.BlockMethodAttribute</c> in the generator).
/// Exit code 1 if a kernel was not inlined, or if no kernel was seen inlined at all (the tier-1 compiles did not happen
/// while listening, so the check would prove nothing).
/// </summary>
internal static class Inlining
{
    public static int Run()
    {
        using var listener = new InliningListener();
        Program.Check(m => m.Name.Contains("Generated", StringComparison.Ordinal));
        listener.DisableEvents(listener.Runtime!);

        string[] failures = listener.Failures.Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] layers = listener.InlinedKernels.Select(k => k.Split(' ')[0].Split('.')[1].Split('+')[0]).Distinct().Order(StringComparer.Ordinal).ToArray();
        Console.WriteLine($"kernels inlined: {listener.InlinedKernels.Distinct().Count()} distinct (caller <- kernel) pairs in {layers.Length} layers ({string.Join(", ", layers)})");
        foreach (string failure in failures)
        {
            Console.WriteLine("NOT INLINED: " + failure);
        }

        if (failures.Length > 0 || layers.Length == 0)
        {
            Console.WriteLine(layers.Length == 0 ? "no generated kernel was seen inlined: nothing was checked" : $"{failures.Length} kernel call sites were not inlined");
            return 1;
        }

        Console.WriteLine("every call of a generated kernel from its layer was inlined");
        return 0;
    }

    private sealed class InliningListener : EventListener
    {
        private static readonly Type[] LayerTypes = typeof(Program).Assembly.GetTypes().Where(t => typeof(INormLayer).IsAssignableFrom(t) && !t.IsInterface).ToArray();

        public EventSource? Runtime { get; private set; }

        public ConcurrentBag<string> Failures { get; } = new();

        public ConcurrentBag<string> InlinedKernels { get; } = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                Runtime = source;
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1000); // JitTracing: MethodJitInlining* events
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("MethodJitInlining", StringComparison.Ordinal) || e.PayloadNames is null || e.Payload is null)
            {
                return;
            }

            string Field(string name)
            {
                int i = e.PayloadNames.IndexOf(name);
                return i < 0 ? "" : e.Payload[i]?.ToString() ?? "";
            }

            string callerType = Field("MethodBeingCompiledNamespace");
            string kernelType = Field("InlineeNamespace");
            string kernel = Field("InlineeName");
            if (!IsLayer(callerType) || !IsKernel(kernelType, kernel))
            {
                return;
            }

            string site = $"{callerType}.{Field("MethodBeingCompiledName")} <- {kernel}";
            if (e.EventName.Contains("Failed", StringComparison.Ordinal))
            {
                Failures.Add($"{site}: {Field("FailReason")}");
            }
            else if (e.EventName.Contains("Succeeded", StringComparison.Ordinal))
            {
                InlinedKernels.Add(site);
            }
        }

        /// <summary>A generated layer, or a type nested in one (its block runner).</summary>
        private static bool IsLayer(string typeName) =>
            LayerTypes.Any(t => typeName == t.FullName || typeName.StartsWith(t.FullName + "+", StringComparison.Ordinal));

        private static bool IsKernel(string typeName, string method)
        {
            Type? type = LayerTypes.FirstOrDefault(t => t.FullName == typeName);
            return type is not null && type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
                .Any(m => m.Name == method && (m.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) != 0);
        }
    }
}
