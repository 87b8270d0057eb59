using System;
using System.Collections.Generic;

namespace NormGen.Optim;

/// <summary>Builders of the usual parameter groups.</summary>
public static class ParameterGroups
{
    /// <summary>
    /// Splits parameters into the two usual groups: those whose <see cref="Parameter.WeightDecay"/> is false get
    /// a weight decay of 0, the others get <paramref name="weightDecay"/>. The generator sets the flag to false for
    /// normalization weights and biases at compile time; the decision is read from the flag only, never inferred
    /// from a parameter's rank or name, so a parameter whose flag was set to true (an opt-in) lands in the decay group.
    /// </summary>
    /// <param name="named">Named parameters, e.g. a layer's or module's <c>NamedParameters()</c>. The names are not
    /// consulted; a parameter listed more than once (shared) is kept once, at its first position.</param>
    /// <param name="weightDecay">The decay of the decay group.</param>
    /// <returns>
    /// Two groups, in the order timm's <c>param_groups_weight_decay</c> returns them: index 0 the no-decay group
    /// (<see cref="ParameterGroup.WeightDecay"/> = 0), index 1 the decay group (= <paramref name="weightDecay"/>).
    /// Either may be empty. Other settings are left to the optimizer's defaults.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="named"/> or one of its parameters is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weightDecay"/> is negative or NaN.</exception>
    public static ParameterGroup[] WithWeightDecayExemptions(IEnumerable<(string Name, Parameter Parameter)> named, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(named);
        OptimChecks.WeightDecay(weightDecay, nameof(weightDecay));
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var noDecay = new List<Parameter>();
        var decay = new List<Parameter>();
        foreach ((string name, Parameter parameter) in named)
        {
            if (parameter is null)
            {
                throw new ArgumentNullException(nameof(named), $"Parameter '{name}' is null.");
            }

            if (seen.Add(parameter))
            {
                (parameter.WeightDecay ? decay : noDecay).Add(parameter);
            }
        }

        return
        [
            new ParameterGroup(noDecay, weightDecay: 0),
            new ParameterGroup(decay, weightDecay: weightDecay),
        ];
    }
}
