using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Modules;

/// <summary>Generated [Module] members: dotted names, order, mode propagation, gradients, state dicts.</summary>
public sealed class ModuleTests
{
    private static readonly string[] ExpectedStateKeys =
    [
        "stem_norm.weight", "stem_norm.bias", "stem_norm.running_mean", "stem_norm.running_var", "stem_norm.num_batches_tracked",
        "layer1.bn.weight", "layer1.bn.bias", "layer1.bn.running_mean", "layer1.bn.running_var", "layer1.bn.num_batches_tracked",
        "layer1.norm2.weight", "layer1.norm2.bias",
        "layer2.bn.weight", "layer2.bn.bias", "layer2.bn.running_mean", "layer2.bn.running_var", "layer2.bn.num_batches_tracked",
        "layer2.norm2.weight", "layer2.norm2.bias",
        "classifier.weight", "classifier.bias",
    ];

    [Fact]
    public void StateDictKeysFollowTorchsOrderAndNames()
    {
        var network = new Network();
        Assert.Equal(ExpectedStateKeys, network.StateDict().Keys);
        Assert.Equal(ExpectedStateKeys.Where(k => k.EndsWith("weight") || k.EndsWith("bias")), network.NamedParameters().AsSpan().ToArray().Select(p => p.Name));
        Assert.Equal(ExpectedStateKeys.Where(k => k.Contains("running") || k.Contains("num_batches")), network.NamedBuffers().AsSpan().ToArray().Select(b => b.Name));
        Assert.Equal(["stem_norm", "layer1", "layer2", "classifier"], network.NamedChildren().Select(c => c.Name));
    }

    [Fact]
    public void AnOptionalMemberAppearsOnceSet()
    {
        var network = new Network { Optional = new In1d() };
        Assert.Contains("optional", network.NamedChildren().Select(c => c.Name));
        Assert.Equal(ExpectedStateKeys.Length, network.StateDict().Count); // In1d has neither parameters nor buffers
    }

    [Fact]
    public void StateDictSharesStorageWithTheLayers()
    {
        var network = new Network();
        var weight = (Tensor<float>)network.StateDict()["layer1.bn.weight"];
        weight.AsSpan()[2] = 7f;
        Assert.Equal(7f, network.Layer1.Bn.Weight.DataSpan[2]);
    }

    [Fact]
    public void TrainAndEvalPropagate()
    {
        var network = new Network { Optional = new In1d() };
        Assert.Same(network, network.Eval());
        Assert.False(network.Training);
        Assert.False(network.StemNorm.Training);
        Assert.False(network.Layer1.Bn.Training);
        Assert.False(network.GetLayer2().Norm2!.Training);
        Assert.False(network.Optional.Training);
        network.Train();
        Assert.True(network.Layer1.Bn.Training && network.Head.Training && network.Optional.Training);
    }

    [Fact]
    public void ZeroGradAndParametersCoverEveryLayer()
    {
        var network = new Network();
        foreach (Parameter parameter in network.Parameters())
        {
            parameter.GradSpan.Fill(1f);
        }

        Assert.Equal(12, network.Parameters().Count()); // stem 2, two blocks of 2 + 2, classifier 2
        network.ZeroGrad();
        Assert.All(network.Parameters(), p => Assert.All(p.GradSpan.ToArray(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void LoadStateDictCopiesEveryValue()
    {
        var source = new Network();
        int i = 0;
        foreach (var (_, tensor) in source.StateDict())
        {
            if (tensor is Tensor<float> floats)
            {
                foreach (ref float value in floats.AsSpan())
                {
                    value = i++;
                }
            }
            else
            {
                ((Tensor<long>)tensor).AsSpan()[0] = 42;
            }
        }

        var target = new Network();
        target.LoadStateDict(source.StateDict());
        foreach (var (key, tensor) in source.StateDict())
        {
            IReadOnlyTensor loaded = target.StateDict()[key];
            if (tensor is Tensor<float> floats)
            {
                Assert.Equal(floats.AsSpan().ToArray(), ((Tensor<float>)loaded).AsSpan().ToArray());
            }
            else
            {
                Assert.Equal(42, ((Tensor<long>)loaded).AsSpan()[0]);
            }
        }

        Assert.Equal(42, target.StemNorm.NumBatchesTracked);
        Assert.NotSame(source.StateDict()["stem_norm.weight"], target.StateDict()["stem_norm.weight"]);
    }

    [Fact]
    public void LoadStateDictReportsEveryProblemAndChangesNothing()
    {
        var target = new Network();
        target.StemNorm.Weight.DataSpan.Fill(5f);
        var dict = new Dictionary<string, IReadOnlyTensor>(new Network().StateDict());
        dict.Remove("layer1.norm2.bias");
        dict.Remove("classifier.weight");
        dict["extra.weight"] = Tensor.Create(new float[2], [2]);
        dict["layer2.bn.weight"] = Tensor.Create(new float[3], [3]);
        dict["stem_norm.weight"] = Tensor.Create(new float[] { 1, 2, 3 }, [3]);

        var error = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict));
        Assert.StartsWith("Error(s) in loading state_dict for Network:", error.Message);
        Assert.Contains("\tUnexpected key(s) in state_dict: \"extra.weight\". ", error.Message);
        Assert.Contains("\tMissing key(s) in state_dict: \"layer1.norm2.bias\", \"classifier.weight\". ", error.Message);
        Assert.Contains("size mismatch for layer2.bn.weight: copying a param with shape [3] from checkpoint, the shape in current model is [4].", error.Message);
        Assert.Equal([5f, 5f, 5f], target.StemNorm.Weight.DataSpan.ToArray());

        // Non-strict: missing and unexpected keys are ignored, but the size mismatch still fails everything.
        var nonStrict = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict, strict: false));
        Assert.DoesNotContain("Missing", nonStrict.Message);
        Assert.Contains("size mismatch for layer2.bn.weight", nonStrict.Message);
        Assert.Equal([5f, 5f, 5f], target.StemNorm.Weight.DataSpan.ToArray());

        dict["layer2.bn.weight"] = Tensor.Create(new float[] { 1, 1, 1, 1 }, [4]);
        target.LoadStateDict(dict, strict: false);
        Assert.Equal([1f, 2f, 3f], target.StemNorm.Weight.DataSpan.ToArray());
    }
}
