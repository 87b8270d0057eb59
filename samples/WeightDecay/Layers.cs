using System.Numerics.Tensors;
using NormGen;

namespace WeightDecay;

/// <summary>
/// What the network needs from a normalization layer. The generated layers have exactly these members, so a
/// layer declaration only has to name the interface; the network then takes either variant of a layer.
/// </summary>
public interface INormLayer : IModule
{
    /// <summary>The layer's weight (gamma).</summary>
    Parameter Weight { get; }

    /// <summary>The layer's bias (beta).</summary>
    Parameter Bias { get; }

    /// <summary>Normalizes <paramref name="input"/> into <paramref name="output"/>.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Gradient of the last Forward; accumulates into Weight.Grad and Bias.Grad.</summary>
    void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);
}

// The normalization layers: generated, specialized to their widths. Default: gamma and beta carry
// Parameter.WeightDecay = false (exempt from decay). The "Decayed" variants opt back in at compile time.

/// <summary>BatchNorm1d over the first hidden layer.</summary>
[BatchNorm1d(Net.Hidden1)] public partial class Norm1 : INormLayer { }

/// <summary>BatchNorm1d over the second hidden layer.</summary>
[BatchNorm1d(Net.Hidden2)] public partial class Norm2 : INormLayer { }

/// <summary>Like <see cref="Norm1"/>, but its gamma and beta are subject to weight decay.</summary>
[BatchNorm1d(Net.Hidden1, WeightDecay = true)] public partial class Norm1Decayed : INormLayer { }

/// <summary>Like <see cref="Norm2"/>, but its gamma and beta are subject to weight decay.</summary>
[BatchNorm1d(Net.Hidden2, WeightDecay = true)] public partial class Norm2Decayed : INormLayer { }

/// <summary>Like <see cref="Norm1"/> with eps = 0, for the exact scale-invariance check.</summary>
[BatchNorm1d(Net.Hidden1, Eps = 0)] public partial class Norm1NoEps : INormLayer { }

/// <summary>Like <see cref="Norm2"/> with eps = 0, for the exact scale-invariance check.</summary>
[BatchNorm1d(Net.Hidden2, Eps = 0)] public partial class Norm2NoEps : INormLayer { }

/// <summary>
/// A fully connected layer, y = x W^T + b (torch.nn.Linear): weight (out, in), optional bias (out), PyTorch's
/// default initialization U(-1/sqrt(in), 1/sqrt(in)). The weight is subject to weight decay; the bias is not
/// (the usual practice exempts biases too).
/// </summary>
public sealed class Linear : IModule
{
    private readonly (string Name, Parameter Parameter)[] _named;

    /// <summary>Creates the layer with PyTorch's default initialization drawn from <paramref name="random"/>.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias, Random random)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter([outFeatures, inFeatures], weightDecay: true);
        Bias = bias ? new Parameter([outFeatures], weightDecay: false) : null;
        double bound = 1 / Math.Sqrt(inFeatures);
        Span<float> w = Weight.DataSpan;
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        }

        if (Bias is not null)
        {
            Span<float> b = Bias.DataSpan;
            for (int i = 0; i < b.Length; i++)
            {
                b[i] = (float)((random.NextDouble() * 2 - 1) * bound);
            }
        }

        _named = Bias is null ? [("weight", Weight)] : [("weight", Weight), ("bias", Bias)];
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight, shape (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>Bias, shape (out), or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public bool Training { get; private set; } = true;

    /// <inheritdoc/>
    public IModule Train(bool mode = true)
    {
        Training = mode;
        return this;
    }

    /// <inheritdoc/>
    public NamedParameters NamedParameters() => new(_named);

    /// <inheritdoc/>
    public NamedBuffers NamedBuffers() => new([]);

    /// <summary>output (N, out) = input (N, in) W^T + b.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        int n = input.Length / InFeatures;
        ReadOnlySpan<float> w = Weight.DataSpan;
        ReadOnlySpan<float> b = Bias is null ? default : Bias.DataSpan;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> x = input.Slice(s * InFeatures, InFeatures);
            Span<float> y = output.Slice(s * OutFeatures, OutFeatures);
            for (int o = 0; o < OutFeatures; o++)
            {
                y[o] = TensorPrimitives.Dot(x, w.Slice(o * InFeatures, InFeatures)) + (b.IsEmpty ? 0f : b[o]);
            }
        }
    }

    /// <summary>
    /// Accumulates dL/dW += gradOutput^T input and dL/db += column sums of gradOutput; writes
    /// gradInput = gradOutput W unless <paramref name="gradInput"/> is empty.
    /// </summary>
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        int n = input.Length / InFeatures;
        ReadOnlySpan<float> w = Weight.DataSpan;
        Span<float> gw = Weight.GradSpan;
        Span<float> gb = Bias is null ? default : Bias.GradSpan;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> x = input.Slice(s * InFeatures, InFeatures);
            ReadOnlySpan<float> gy = gradOutput.Slice(s * OutFeatures, OutFeatures);
            Span<float> gx = gradInput.IsEmpty ? default : gradInput.Slice(s * InFeatures, InFeatures);
            gx.Clear();
            for (int o = 0; o < OutFeatures; o++)
            {
                Span<float> gwRow = gw.Slice(o * InFeatures, InFeatures);
                TensorPrimitives.MultiplyAdd(x, gy[o], gwRow, gwRow);
                if (!gx.IsEmpty)
                {
                    TensorPrimitives.MultiplyAdd(w.Slice(o * InFeatures, InFeatures), gy[o], gx, gx);
                }

                if (!gb.IsEmpty)
                {
                    gb[o] += gy[o];
                }
            }
        }
    }
}

/// <summary>ReLU and its backward pass (no parameters).</summary>
public static class Relu
{
    /// <summary>output = max(input, 0).</summary>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Max(input, 0f, output);

    /// <summary>gradInput = gradOutput where the forward input was positive, else 0.</summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        for (int i = 0; i < input.Length; i++)
        {
            gradInput[i] = input[i] > 0 ? gradOutput[i] : 0f;
        }
    }
}

/// <summary>Softmax cross-entropy averaged over the batch (torch.nn.functional.cross_entropy), in double.</summary>
public static class CrossEntropy
{
    /// <summary>
    /// The mean loss of <paramref name="logits"/> (N, classes) against <paramref name="labels"/>; writes
    /// dL/dlogits = (softmax - onehot) / N into <paramref name="gradLogits"/> unless it is empty, and counts the
    /// samples whose largest logit is the label.
    /// </summary>
    public static double Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> gradLogits, out int correct)
    {
        int n = labels.Length;
        double total = 0;
        correct = 0;
        Span<double> p = stackalloc double[classes];
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> z = logits.Slice(s * classes, classes);
            int argmax = TensorPrimitives.IndexOfMax(z);
            double max = z[argmax];
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                p[c] = Math.Exp(z[c] - max);
                sum += p[c];
            }

            total += Math.Log(sum) - (z[labels[s]] - max);
            correct += argmax == labels[s] ? 1 : 0;
            if (!gradLogits.IsEmpty)
            {
                for (int c = 0; c < classes; c++)
                {
                    gradLogits[s * classes + c] = (float)((p[c] / sum - (c == labels[s] ? 1 : 0)) / n);
                }
            }
        }

        return total / n;
    }
}
