using System;
using System.Collections.Generic;

namespace NormGen.Optim;

/// <summary>
/// Base of the optimizers: a fixed list of <see cref="ParameterGroup"/>s (torch's <c>param_groups</c>),
/// <see cref="Step"/> and <see cref="ZeroGrad"/>. Optimizer state (momentum buffers, moments) is kept per
/// parameter, in float32 like PyTorch's, and allocated on the first step that needs it; later steps allocate
/// nothing.
/// </summary>
public abstract class Optimizer
{
    private readonly ParameterGroup[] _groups;
    private readonly IReadOnlyList<ParameterGroup> _readOnlyGroups;

    private protected Optimizer(IEnumerable<ParameterGroup> groups, bool sgd)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var list = new List<ParameterGroup>(groups);
        if (list.Count == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list", nameof(groups));
        }

        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        for (int g = 0; g < list.Count; g++)
        {
            ParameterGroup group = list[g] ?? throw new ArgumentNullException(nameof(groups), $"Parameter group {g} is null.");
            if (group.FirstForeignOption(sgd) is string option)
            {
                throw new ArgumentException(
                    $"{(sgd ? nameof(Sgd) : nameof(AdamW))} has no option {option}, but parameter group {g} sets it.", nameof(groups));
            }

            foreach (Parameter p in group.ParameterArray)
            {
                if (!seen.Add(p))
                {
                    throw new ArgumentException("some parameters appear in more than one parameter group", nameof(groups));
                }
            }
        }

        _groups = list.ToArray();
        _readOnlyGroups = Array.AsReadOnly(_groups);
    }

    /// <summary>Wraps a plain parameter list in one group without overrides, as torch does.</summary>
    private protected static ParameterGroup[] SingleGroup(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var group = new ParameterGroup(parameters);
        if (group.Parameters.Count == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        }

        return [group];
    }

    /// <summary>The parameter groups, in the order given (torch's <c>param_groups</c>).</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroups => _readOnlyGroups;

    /// <summary>The groups as an array, for allocation-free iteration.</summary>
    private protected ParameterGroup[] Groups => _groups;

    /// <summary>
    /// Updates every parameter of every group from its current <see cref="Parameter.Grad"/>, which is read but
    /// not modified. Allocates nothing once the state of every parameter exists (after the first step).
    /// </summary>
    public abstract void Step();

    /// <summary>Sets the gradient of every parameter to zero (torch's <c>zero_grad(set_to_none=False)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (ParameterGroup group in _groups)
        {
            foreach (Parameter p in group.ParameterArray)
            {
                p.ZeroGrad();
            }
        }
    }
}
