using System;
using System.Numerics.Tensors;

namespace NormGen;

/// <summary>
/// A learnable tensor and its gradient, the counterpart of <c>torch.nn.Parameter</c>.
/// <see cref="Data"/> and <see cref="Grad"/> share storage with <see cref="DataSpan"/> and <see cref="GradSpan"/>,
/// so kernels read and write them without copies.
/// </summary>
public sealed class Parameter
{
    private readonly float[] _data;
    private readonly float[] _grad;

    /// <summary>Creates a zero-initialized parameter of the given shape.</summary>
    /// <param name="shape">The tensor shape; every length must be positive.</param>
    /// <param name="weightDecay">Whether optimizers apply weight decay to this parameter.</param>
    public Parameter(ReadOnlySpan<int> shape, bool weightDecay)
    {
        var lengths = new nint[shape.Length];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"Every length of a parameter shape must be positive, but length {i} is {shape[i]}.");
            }

            lengths[i] = shape[i];
            count *= shape[i];
        }

        _data = new float[checked((int)count)];
        _grad = new float[_data.Length];
        Data = Tensor.Create(_data, lengths);
        Grad = Tensor.Create(_grad, lengths);
        WeightDecay = weightDecay;
    }

    /// <summary>The parameter values.</summary>
    public Tensor<float> Data { get; }

    /// <summary>The accumulated gradient, same shape as <see cref="Data"/>, zero-initialized.</summary>
    public Tensor<float> Grad { get; }

    /// <summary>
    /// Whether optimizers apply weight decay to this parameter. The generator sets it to false for
    /// normalization weights and biases (see the README on weight decay).
    /// </summary>
    public bool WeightDecay { get; set; }

    /// <summary>The values as one contiguous span (row-major).</summary>
    public Span<float> DataSpan => _data;

    /// <summary>The gradient as one contiguous span (row-major).</summary>
    public Span<float> GradSpan => _grad;

    /// <summary>Number of elements.</summary>
    public int Count => _data.Length;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(_grad);
}
