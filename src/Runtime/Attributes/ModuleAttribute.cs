using System;

namespace NormGen;

/// <summary>
/// Declares a module: a <c>partial</c> class whose fields and properties hold layers or other modules. The generator
/// emits <c>NamedParameters()</c>, <c>NamedBuffers()</c>, <c>Train()</c>/<c>Eval()</c> that propagate,
/// <c>ZeroGrad()</c>, <c>Parameters()</c>, <c>StateDict()</c> and <c>LoadStateDict()</c>, with PyTorch's dotted names
/// (a member's key is its name in snake_case: <c>StemNorm</c> gives <c>stem_norm.running_mean</c>). No reflection.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModuleAttribute : Attribute
{
}

/// <summary>Overrides the state-dict key of a module member (by default its name in snake_case).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class StateKeyAttribute : Attribute
{
    /// <summary>Uses <paramref name="key"/> as the member's key.</summary>
    public StateKeyAttribute(string key)
    {
        Key = key;
    }

    /// <summary>The key.</summary>
    public string Key { get; }
}
