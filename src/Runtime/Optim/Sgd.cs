using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace NormGen.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and coupled (L2) weight
/// decay, with the update order of torch.optim.SGD (single-tensor implementation, torch 1.13):
/// <code>
/// g = grad + wd * p                                   (if wd != 0)
/// buf = g on the first step, else buf = mu * buf + (1 - dampening) * g   (if mu != 0)
/// g = g + mu * buf if nesterov, else g = buf          (if mu != 0)
/// p = p - lr * g
/// </code>
/// </summary>
/// <remarks>
/// Arithmetic is float32 like PyTorch's CPU kernels, and rounds like them: the coefficients are computed in
/// double and rounded to float once (<c>(float)(1 - dampening)</c>, <c>(float)(-lr)</c>), <c>a.add(b, alpha=c)</c>
/// is the fused <c>fma(b, c, a)</c> PyTorch's vectorized kernels use, and <c>buf.mul_(mu)</c> is a separate
/// rounding. <see cref="Parameter.Grad"/> is not modified. Arguments are checked with torch.optim.SGD's messages,
/// and NaN is rejected as well.
/// </remarks>
public sealed class Sgd : Optimizer
{
    /// <summary>Elements per block of a step: the scratch vector lives on the stack.</summary>
    private const int BlockSize = 512;

    // Momentum buffer of each parameter of each group; null until the first step with momentum != 0.
    private readonly float[]?[][] _momentumBuffers;

    /// <summary>Creates an SGD optimizer over one group of parameters.</summary>
    /// <param name="parameters">The parameters to optimize (at least one).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor (0: none).</param>
    /// <param name="dampening">Dampening of the gradient's contribution to the momentum buffer.</param>
    /// <param name="weightDecay">L2 coefficient added to the gradient: g + weightDecay * p.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening = 0.</param>
    /// <exception cref="ArgumentException">No parameters, a parameter given twice, or nesterov without momentum or with dampening.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative or NaN learning rate, momentum or weight decay, or a NaN dampening.</exception>
    public Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this(SingleGroup(parameters), lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>
    /// Creates an SGD optimizer over parameter groups; the arguments are the defaults for settings a group
    /// leaves null.
    /// </summary>
    /// <param name="groups">The parameter groups (at least one; a parameter may belong to only one group).</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="momentum">Default momentum factor.</param>
    /// <param name="dampening">Default dampening.</param>
    /// <param name="weightDecay">Default L2 coefficient.</param>
    /// <param name="nesterov">Default for Nesterov momentum.</param>
    /// <exception cref="ArgumentException">
    /// No groups, a parameter in two groups, a group setting an AdamW-only option, or a group whose effective
    /// settings use Nesterov without momentum or with dampening.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative or NaN learning rate, momentum or weight decay, or a NaN dampening.</exception>
    public Sgd(IEnumerable<ParameterGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups, sgd: true)
    {
        OptimChecks.LearningRate(lr, nameof(lr));
        OptimChecks.Momentum(momentum, nameof(momentum));
        OptimChecks.Dampening(dampening, nameof(dampening));
        OptimChecks.WeightDecay(weightDecay, nameof(weightDecay));
        if (!OptimChecks.NesterovIsValid(nesterov, momentum, dampening))
        {
            throw new ArgumentException(OptimChecks.NesterovMessage, nameof(nesterov));
        }

        Lr = lr;
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;

        ParameterGroup[] all = Groups;
        _momentumBuffers = new float[]?[all.Length][];
        for (int g = 0; g < all.Length; g++)
        {
            if (!OptimChecks.NesterovIsValid(all[g].Nesterov ?? nesterov, all[g].Momentum ?? momentum, all[g].Dampening ?? dampening))
            {
                throw new ArgumentException($"{OptimChecks.NesterovMessage} (parameter group {g})", nameof(groups));
            }

            _momentumBuffers[g] = new float[all[g].ParameterArray.Length][];
        }
    }

    /// <summary>Default learning rate.</summary>
    public double Lr { get; }

    /// <summary>Default momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Default dampening.</summary>
    public double Dampening { get; }

    /// <summary>Default L2 weight-decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <summary>Default for Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">
    /// A group's settings were changed after construction so that it uses Nesterov without momentum or with dampening.
    /// </exception>
    public override void Step()
    {
        Span<float> scratch = stackalloc float[BlockSize];
        ParameterGroup[] groups = Groups;
        for (int g = 0; g < groups.Length; g++)
        {
            ParameterGroup group = groups[g];
            double lr = group.Lr ?? Lr;
            double momentum = group.Momentum ?? Momentum;
            double dampening = group.Dampening ?? Dampening;
            double weightDecay = group.WeightDecay ?? WeightDecay;
            bool nesterov = group.Nesterov ?? Nesterov;
            if (!OptimChecks.NesterovIsValid(nesterov, momentum, dampening))
            {
                throw new InvalidOperationException($"{OptimChecks.NesterovMessage} (parameter group {g})");
            }

            Parameter[] parameters = group.ParameterArray;
            float[]?[] buffers = _momentumBuffers[g];
            for (int i = 0; i < parameters.Length; i++)
            {
                Parameter p = parameters[i];
                bool firstMomentumStep = false;
                if (momentum != 0 && buffers[i] is null)
                {
                    buffers[i] = new float[p.Count];
                    firstMomentumStep = true;
                }

                Update(p.DataSpan, p.GradSpan, momentum != 0 ? buffers[i] : null, firstMomentumStep, lr, momentum, dampening, weightDecay, nesterov, scratch);
            }
        }
    }

    private static void Update(
        Span<float> data,
        ReadOnlySpan<float> grad,
        float[]? buffer,
        bool firstMomentumStep,
        double lr,
        double momentum,
        double dampening,
        double weightDecay,
        bool nesterov,
        Span<float> scratch)
    {
        // The scalars PyTorch's kernels see: each Python-double coefficient rounded to float once.
        float wd = (float)weightDecay;
        float mu = (float)momentum;
        float gradScale = (float)(1 - dampening);
        float negLr = (float)-lr;
        for (int start = 0; start < data.Length; start += BlockSize)
        {
            int n = Math.Min(BlockSize, data.Length - start);
            Span<float> p = data.Slice(start, n);
            Span<float> d = scratch[..n];
            ReadOnlySpan<float> step = grad.Slice(start, n);

            if (weightDecay != 0)
            {
                // d_p = d_p.add(param, alpha=weight_decay)
                TensorPrimitives.FusedMultiplyAdd(p, wd, step, d);
                step = d;
            }

            if (buffer is not null)
            {
                Span<float> buf = buffer.AsSpan(start, n);
                if (firstMomentumStep)
                {
                    // buf = torch.clone(d_p)
                    step.CopyTo(buf);
                }
                else
                {
                    // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                    TensorPrimitives.Multiply(buf, mu, buf);
                    TensorPrimitives.FusedMultiplyAdd(step, gradScale, buf, buf);
                }

                if (nesterov)
                {
                    // d_p = d_p.add(buf, alpha=momentum)
                    TensorPrimitives.FusedMultiplyAdd(buf, mu, step, d);
                    step = d;
                }
                else
                {
                    step = buf;
                }
            }

            // param.add_(d_p, alpha=-lr)
            TensorPrimitives.FusedMultiplyAdd(step, negLr, p, p);
        }
    }
}
