using NormGen;

namespace WeightDecay;

/// <summary>
/// Linear → BatchNorm1d → ReLU → Linear → BatchNorm1d → ReLU → Linear (logits). The two linear layers that feed a
/// BatchNorm have no bias (BatchNorm subtracts the mean, so a bias there would do nothing), which makes the
/// network's output exactly invariant to their scale. <c>[Module]</c> generates NamedParameters(), Train()/Eval(),
/// ZeroGrad() and the rest over the five layer members, with PyTorch's names (<c>fc1.weight</c>, <c>norm1.bias</c>).
/// </summary>
[Module]
public partial class Net
{
    /// <summary>Input features.</summary>
    public const int Inputs = 16;

    /// <summary>Width of the first hidden layer.</summary>
    public const int Hidden1 = 64;

    /// <summary>Width of the second hidden layer.</summary>
    public const int Hidden2 = 32;

    /// <summary>Number of classes.</summary>
    public const int Classes = 4;

    private int _batch = -1;
    private float[] _input = [], _z1 = [], _y1 = [], _h1 = [], _z2 = [], _y2 = [], _h2 = [], _logits = [];
    private float[] _g1 = [], _g2 = [], _g3 = [], _g4 = [];

    /// <summary>Creates the network around the given normalization layers; the linear layers are drawn from <paramref name="seed"/>.</summary>
    public Net(INormLayer norm1, INormLayer norm2, int seed)
    {
        var random = new Random(seed);
        Fc1 = new Linear(Inputs, Hidden1, bias: false, random);
        Norm1 = norm1;
        Fc2 = new Linear(Hidden1, Hidden2, bias: false, random);
        Norm2 = norm2;
        Head = new Linear(Hidden2, Classes, bias: true, random);
    }

    /// <summary>First linear layer (feeds <see cref="Norm1"/>).</summary>
    public Linear Fc1 { get; }

    /// <summary>First BatchNorm.</summary>
    public INormLayer Norm1 { get; }

    /// <summary>Second linear layer (feeds <see cref="Norm2"/>).</summary>
    public Linear Fc2 { get; }

    /// <summary>Second BatchNorm.</summary>
    public INormLayer Norm2 { get; }

    /// <summary>Classifier.</summary>
    public Linear Head { get; }

    /// <summary>Pre-activations of the last Forward (input of each ReLU), for the gradient check.</summary>
    public (float[] Y1, float[] Y2) ReluInputs => (_y1, _y2);

    /// <summary>Logits (N, Classes) of a batch of N samples (N, Inputs). The span is valid until the next call.</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> input)
    {
        int n = input.Length / Inputs;
        if (n != _batch)
        {
            Allocate(n);
        }

        input.CopyTo(_input);
        Fc1.Forward(_input, _z1);
        Norm1.Forward(_z1, _y1);
        Relu.Forward(_y1, _h1);
        Fc2.Forward(_h1, _z2);
        Norm2.Forward(_z2, _y2);
        Relu.Forward(_y2, _h2);
        Head.Forward(_h2, _logits);
        return _logits;
    }

    /// <summary>Backpropagates dL/dlogits through the last Forward, accumulating into every parameter's gradient.</summary>
    public void Backward(ReadOnlySpan<float> gradLogits)
    {
        Head.Backward(_h2, gradLogits, _g4);
        Relu.Backward(_y2, _g4, _g4);
        Norm2.Backward(_z2, _g4, _g3);
        Fc2.Backward(_h1, _g3, _g2);
        Relu.Backward(_y1, _g2, _g2);
        Norm1.Backward(_z1, _g2, _g1);
        Fc1.Backward(_input, _g1, default);
    }

    private void Allocate(int n)
    {
        _batch = n;
        _input = new float[n * Inputs];
        _z1 = new float[n * Hidden1];
        _y1 = new float[n * Hidden1];
        _h1 = new float[n * Hidden1];
        _g1 = new float[n * Hidden1];
        _g2 = new float[n * Hidden1];
        _z2 = new float[n * Hidden2];
        _y2 = new float[n * Hidden2];
        _h2 = new float[n * Hidden2];
        _g3 = new float[n * Hidden2];
        _g4 = new float[n * Hidden2];
        _logits = new float[n * Classes];
    }
}
