using System;

namespace NormGen;

/// <summary>
/// Base class of every attribute that declares a normalization layer on a <c>partial</c> class.
/// The NormGen generator reads the attribute's arguments at compile time and emits a layer specialized
/// to that exact shape. A class carries at most one normalization attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public abstract class NormalizationAttribute : Attribute
{
    private protected NormalizationAttribute()
    {
    }

    /// <summary>
    /// When true, optimizers apply weight decay to this layer's <c>weight</c> and <c>bias</c>
    /// (<see cref="Parameter.WeightDecay"/>). Default false: the usual practice exempts normalization parameters,
    /// which are not scale-invariant (decaying γ shrinks the layer's output). Ignored by layers without parameters.
    /// </summary>
    public bool WeightDecay { get; set; }
}
