using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace NormGen.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), with the update order of torch.optim.AdamW
/// (single-tensor implementation, torch 1.13). For each parameter, with t its step count:
/// <code>
/// p = p * (1 - lr * wd)                                  decoupled decay first
/// m = beta1 * m + (1 - beta1) * g
/// v = beta2 * v + (1 - beta2) * g * g
/// vmax = max(vmax, v)                                    (amsgrad)
/// denom = sqrt(v or vmax) / sqrt(1 - beta2^t) + eps
/// p = p + (-lr / (1 - beta1^t)) * m / denom
/// </code>
/// </summary>
/// <remarks>
/// Moments are float32 like PyTorch's state, and each operation rounds like PyTorch's CPU kernels: the bias
/// corrections, the step size and <c>1 - lr * wd</c> are computed in double and rounded to float once;
/// <c>m.add_(g, alpha=1 - beta1)</c> is <c>fma(g, 1 - beta1, m)</c>, <c>v.addcmul_(g, g, value=1 - beta2)</c> is
/// <c>fma((1 - beta2) * g, g, v)</c>, and <c>p.addcdiv_(m, denom, value=-step_size)</c> is
/// <c>p + (-step_size * m) / denom</c>. <see cref="Parameter.Grad"/> is not modified. Arguments are checked with
/// torch.optim.AdamW's messages.
/// </remarks>
public sealed class AdamW : Optimizer
{
    /// <summary>Elements per block of a step: the scratch vectors live on the stack.</summary>
    private const int BlockSize = 256;

    private readonly State?[][] _state;

    /// <summary>Creates an AdamW optimizer over one group of parameters.</summary>
    /// <param name="parameters">The parameters to optimize (at least one).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Coefficient of the running average of the gradient.</param>
    /// <param name="beta2">Coefficient of the running average of the squared gradient.</param>
    /// <param name="eps">Term added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay: each step first multiplies p by 1 - lr * weightDecay.</param>
    /// <param name="amsgrad">Use the AMSGrad variant (the maximum of the second moments so far).</param>
    /// <exception cref="ArgumentException">No parameters, or a parameter given twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A negative or NaN learning rate, eps or weight decay, or a beta outside [0, 1).
    /// </exception>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : this(SingleGroup(parameters), lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>
    /// Creates an AdamW optimizer over parameter groups; the arguments are the defaults for settings a group
    /// leaves null.
    /// </summary>
    /// <param name="groups">The parameter groups (at least one; a parameter may belong to only one group).</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Default coefficient of the running average of the gradient.</param>
    /// <param name="beta2">Default coefficient of the running average of the squared gradient.</param>
    /// <param name="eps">Default denominator term.</param>
    /// <param name="weightDecay">Default decoupled weight decay.</param>
    /// <param name="amsgrad">Default for the AMSGrad variant.</param>
    /// <exception cref="ArgumentException">No groups, a parameter in two groups, or a group setting an SGD-only option.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A negative or NaN learning rate, eps or weight decay, or a beta outside [0, 1).
    /// </exception>
    public AdamW(IEnumerable<ParameterGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(groups, sgd: false)
    {
        OptimChecks.LearningRate(lr, nameof(lr));
        OptimChecks.Epsilon(eps, nameof(eps));
        OptimChecks.Beta(beta1, 0, nameof(beta1));
        OptimChecks.Beta(beta2, 1, nameof(beta2));
        OptimChecks.WeightDecay(weightDecay, nameof(weightDecay));
        Lr = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        Amsgrad = amsgrad;

        ParameterGroup[] all = Groups;
        _state = new State?[all.Length][];
        for (int g = 0; g < all.Length; g++)
        {
            _state[g] = new State?[all[g].ParameterArray.Length];
        }
    }

    /// <summary>Default learning rate.</summary>
    public double Lr { get; }

    /// <summary>Default coefficient of the running average of the gradient (torch's <c>betas[0]</c>).</summary>
    public double Beta1 { get; }

    /// <summary>Default coefficient of the running average of the squared gradient (torch's <c>betas[1]</c>).</summary>
    public double Beta2 { get; }

    /// <summary>Default denominator term.</summary>
    public double Eps { get; }

    /// <summary>Default decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Default for the AMSGrad variant.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        Span<float> scratch = stackalloc float[2 * BlockSize];
        ParameterGroup[] groups = Groups;
        for (int g = 0; g < groups.Length; g++)
        {
            ParameterGroup group = groups[g];
            double lr = group.Lr ?? Lr;
            double beta1 = group.Beta1 ?? Beta1;
            double beta2 = group.Beta2 ?? Beta2;
            double eps = group.Eps ?? Eps;
            double weightDecay = group.WeightDecay ?? WeightDecay;
            bool amsgrad = group.Amsgrad ?? Amsgrad;

            Parameter[] parameters = group.ParameterArray;
            State?[] states = _state[g];
            for (int i = 0; i < parameters.Length; i++)
            {
                Parameter p = parameters[i];
                State state = states[i] ??= new State(p.Count);
                if (amsgrad)
                {
                    // Zeros, as torch initializes it; a group switched to amsgrad later starts from here.
                    state.MaxExpAvgSq ??= new float[p.Count];
                }

                state.Step++;
                double step = state.Step;
                double biasCorrection1 = 1 - Math.Pow(beta1, step);
                double biasCorrection2 = 1 - Math.Pow(beta2, step);
                double stepSize = lr / biasCorrection1;
                double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);

                Update(
                    p.DataSpan,
                    p.GradSpan,
                    state,
                    amsgrad,
                    decay: (float)(1 - lr * weightDecay),
                    beta1: (float)beta1,
                    gradScale1: (float)(1 - beta1),
                    beta2: (float)beta2,
                    gradScale2: (float)(1 - beta2),
                    biasCorrection2Sqrt: (float)biasCorrection2Sqrt,
                    eps: (float)eps,
                    negStepSize: (float)-stepSize,
                    scratch);
            }
        }
    }

    private static void Update(
        Span<float> data,
        ReadOnlySpan<float> grad,
        State state,
        bool amsgrad,
        float decay,
        float beta1,
        float gradScale1,
        float beta2,
        float gradScale2,
        float biasCorrection2Sqrt,
        float eps,
        float negStepSize,
        Span<float> scratch)
    {
        Span<float> t1 = scratch[..BlockSize];
        Span<float> t2 = scratch.Slice(BlockSize, BlockSize);
        for (int start = 0; start < data.Length; start += BlockSize)
        {
            int n = Math.Min(BlockSize, data.Length - start);
            Span<float> p = data.Slice(start, n);
            ReadOnlySpan<float> g = grad.Slice(start, n);
            Span<float> m = state.ExpAvg.AsSpan(start, n);
            Span<float> v = state.ExpAvgSq.AsSpan(start, n);
            Span<float> a = t1[..n];
            Span<float> b = t2[..n];

            // param.mul_(1 - lr * weight_decay); multiplying by exactly 1 changes nothing, so it is skipped.
            if (decay != 1f)
            {
                TensorPrimitives.Multiply(p, decay, p);
            }

            // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            TensorPrimitives.Multiply(m, beta1, m);
            TensorPrimitives.FusedMultiplyAdd(g, gradScale1, m, m);

            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            TensorPrimitives.Multiply(v, beta2, v);
            TensorPrimitives.Multiply(g, gradScale2, a);
            TensorPrimitives.FusedMultiplyAdd(a, g, v, v);

            ReadOnlySpan<float> second = v;
            if (amsgrad)
            {
                // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                Span<float> max = state.MaxExpAvgSq.AsSpan(start, n);
                TensorPrimitives.Max(max, v, max);
                second = max;
            }

            // denom = (second.sqrt() / bias_correction2_sqrt).add_(eps)
            TensorPrimitives.Sqrt(second, a);
            TensorPrimitives.Divide(a, biasCorrection2Sqrt, a);
            TensorPrimitives.Add(a, eps, a);

            // param.addcdiv_(exp_avg, denom, value=-step_size)
            TensorPrimitives.Multiply(m, negStepSize, b);
            TensorPrimitives.Divide(b, a, b);
            TensorPrimitives.Add(p, b, p);
        }
    }

    /// <summary>torch's per-parameter AdamW state: step, exp_avg, exp_avg_sq and max_exp_avg_sq.</summary>
    private sealed class State(int count)
    {
        public long Step;

        public float[] ExpAvg { get; } = new float[count];

        public float[] ExpAvgSq { get; } = new float[count];

        public float[]? MaxExpAvgSq { get; set; }
    }
}
