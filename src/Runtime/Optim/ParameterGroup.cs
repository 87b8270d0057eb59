using System;
using System.Collections.Generic;

namespace NormGen.Optim;

/// <summary>
/// A set of parameters with its own optimizer settings, the counterpart of one entry of torch.optim's
/// <c>param_groups</c>. A setting left null uses the optimizer's default (torch's <c>setdefault</c>); a set
/// value overrides it for this group only. Settings may be changed between steps (a learning-rate schedule
/// sets <see cref="Lr"/>); the parameter list is fixed at construction.
/// </summary>
/// <remarks>
/// Every setter checks its value with torch.optim's message, e.g. <c>Invalid learning rate: -1</c>.
/// An optimizer rejects a group that sets an option it does not have (for example <see cref="Beta1"/> on
/// <see cref="Sgd"/>), where torch would keep the unused key silently.
/// </remarks>
public sealed class ParameterGroup
{
    private readonly Parameter[] _parameters;
    private readonly IReadOnlyList<Parameter> _readOnlyParameters;
    private double? _lr;
    private double? _weightDecay;
    private double? _momentum;
    private double? _dampening;
    private double? _beta1;
    private double? _beta2;
    private double? _eps;

    /// <summary>Creates a group of the given parameters (in order; possibly none).</summary>
    /// <param name="parameters">The parameters; a parameter may appear only once.</param>
    /// <param name="lr">The group's learning rate, or null for the optimizer's.</param>
    /// <param name="weightDecay">The group's weight decay, or null for the optimizer's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">A parameter appears more than once.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> or <paramref name="weightDecay"/> is negative or NaN.</exception>
    public ParameterGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = new List<Parameter>(parameters);
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentNullException(nameof(parameters), $"Parameter {i} of the group is null.");
            }

            if (!seen.Add(list[i]))
            {
                // torch 1.13 only warns here and then updates the parameter twice per step.
                throw new ArgumentException(
                    $"optimizer contains a parameter group with duplicate parameters (parameter {i} appears earlier in the group)",
                    nameof(parameters));
            }
        }

        _parameters = list.ToArray();
        _readOnlyParameters = Array.AsReadOnly(_parameters);
        Lr = lr;
        WeightDecay = weightDecay;
    }

    /// <summary>The parameters of the group, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters => _readOnlyParameters;

    /// <summary>Learning rate (torch's <c>lr</c>), or null for the optimizer's default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
    public double? Lr
    {
        get => _lr;
        set
        {
            if (value is double v)
            {
                OptimChecks.LearningRate(v, nameof(Lr));
            }

            _lr = value;
        }
    }

    /// <summary>
    /// Weight decay (torch's <c>weight_decay</c>): the L2 coefficient for <see cref="Sgd"/>, the decoupled decay
    /// for <see cref="AdamW"/>; null for the optimizer's default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
    public double? WeightDecay
    {
        get => _weightDecay;
        set
        {
            if (value is double v)
            {
                OptimChecks.WeightDecay(v, nameof(WeightDecay));
            }

            _weightDecay = value;
        }
    }

    /// <summary>SGD momentum factor, or null for the optimizer's default. <see cref="Sgd"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
    public double? Momentum
    {
        get => _momentum;
        set
        {
            if (value is double v)
            {
                OptimChecks.Momentum(v, nameof(Momentum));
            }

            _momentum = value;
        }
    }

    /// <summary>SGD dampening for momentum, or null for the optimizer's default. <see cref="Sgd"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN.</exception>
    public double? Dampening
    {
        get => _dampening;
        set
        {
            if (value is double v)
            {
                OptimChecks.Dampening(v, nameof(Dampening));
            }

            _dampening = value;
        }
    }

    /// <summary>Whether SGD uses Nesterov momentum, or null for the optimizer's default. <see cref="Sgd"/> only.</summary>
    public bool? Nesterov { get; set; }

    /// <summary>Adam's first-moment coefficient (torch's <c>betas[0]</c>), or null for the default. <see cref="AdamW"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1).</exception>
    public double? Beta1
    {
        get => _beta1;
        set
        {
            if (value is double v)
            {
                OptimChecks.Beta(v, 0, nameof(Beta1));
            }

            _beta1 = value;
        }
    }

    /// <summary>Adam's second-moment coefficient (torch's <c>betas[1]</c>), or null for the default. <see cref="AdamW"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1).</exception>
    public double? Beta2
    {
        get => _beta2;
        set
        {
            if (value is double v)
            {
                OptimChecks.Beta(v, 1, nameof(Beta2));
            }

            _beta2 = value;
        }
    }

    /// <summary>Adam's denominator term (torch's <c>eps</c>), or null for the default. <see cref="AdamW"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
    public double? Eps
    {
        get => _eps;
        set
        {
            if (value is double v)
            {
                OptimChecks.Epsilon(v, nameof(Eps));
            }

            _eps = value;
        }
    }

    /// <summary>Whether AdamW uses the AMSGrad variant, or null for the default. <see cref="AdamW"/> only.</summary>
    public bool? Amsgrad { get; set; }

    /// <summary>The parameters as an array, for allocation-free iteration by the optimizers.</summary>
    internal Parameter[] ParameterArray => _parameters;

    /// <summary>The first option this group sets that the optimizer kind (SGD or AdamW) does not have, or null.</summary>
    internal string? FirstForeignOption(bool sgd)
        => sgd
            ? (_beta1 is not null ? nameof(Beta1) : _beta2 is not null ? nameof(Beta2) : _eps is not null ? nameof(Eps) : Amsgrad is not null ? nameof(Amsgrad) : null)
            : (_momentum is not null ? nameof(Momentum) : _dampening is not null ? nameof(Dampening) : Nesterov is not null ? nameof(Nesterov) : null);
}
