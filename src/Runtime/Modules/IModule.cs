using System.Collections.Generic;

namespace NormGen;

/// <summary>
/// A layer or a module of layers, the counterpart of <c>torch.nn.Module</c>. Generated layers and <c>[Module]</c>
/// classes implement it; a hand-written layer (a linear layer, say) can implement it too and then takes part in
/// modules, state dicts and optimizers. Parameters and buffers live in leaves (layers); modules only have children.
/// </summary>
public interface IModule
{
    /// <summary>True in training mode.</summary>
    bool Training { get; }

    /// <summary>Sets training (true) or eval (false) mode, recursively.</summary>
    /// <returns>This module.</returns>
    IModule Train(bool mode = true);

    /// <summary>The parameters under PyTorch's (dotted) names, in PyTorch's order.</summary>
    NamedParameters NamedParameters();

    /// <summary>The buffers under PyTorch's (dotted) names, in PyTorch's order.</summary>
    NamedBuffers NamedBuffers();

    /// <summary>The direct children with their keys, in member order; empty for a layer.</summary>
    IReadOnlyList<(string Name, IModule Module)> NamedChildren() => [];
}
