using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>
/// The contract of the generated Backward beyond its numbers: parameter gradients accumulate until ZeroGrad, gradInput is
/// overwritten, in-place use, the tensor overload, the errors (with their messages) and that a failed call changes nothing.
/// </summary>
public sealed class BackwardBehaviorTests
{
    private const string NoForwardMessage = "Backward needs the statistics of a matching Forward, but Forward has not been called on this layer.";

    public static IEnumerable<object[]> Layers() => GradLayers.NameData();

    private static string OtherBatchMessage(int saved, int got) =>
        $"Backward needs the statistics of a matching Forward: the last Forward had a batch of {saved}, but Backward got a batch of {got}.";

    /// <summary>A layer with random parameters and running statistics, in training mode if it can train (else eval).</summary>
    private static GradLayer Prepared(string name, int seed = 1)
    {
        GradLayer layer = GradLayers.Create(name);
        var rng = new Random(GradientCheckTests.StableSeed(name) + seed);
        GradData.RandomizeParameters(rng, layer);
        GradData.RandomizeRunningStats(rng, layer);
        layer.SetTraining(layer.CanTrain);
        return layer;
    }

    private static (float[] X, float[] Dy) Data(GradLayer layer, int batch, int seed = 7)
    {
        var rng = new Random(GradientCheckTests.StableSeed(layer.Name) + seed + batch);
        float[] x = GradData.Input(rng, layer.Spec, batch, DataKind.Wide);
        return (x, GradData.GradOutput(rng, x.Length));
    }

    private static float[] RunForward(GradLayer layer, float[] x)
    {
        var y = new float[x.Length];
        layer.Forward(x, y);
        return y;
    }

    private static float[] RunBackward(GradLayer layer, float[] x, float[] dy)
    {
        var dx = new float[x.Length];
        layer.Backward(x, dy, dx);
        return dx;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void ParameterGradientsAccumulateOverBackwardCallsUntilZeroGrad(string name)
    {
        GradLayer layer = Prepared(name);
        const int batch = 3;
        (float[] x, float[] dy) = Data(layer, batch);
        RunForward(layer, x);
        float[] dx1 = RunBackward(layer, x, dy);
        (float[] w1, float[] b1) = layer.Grads();

        float[] dx2 = RunBackward(layer, x, dy);
        GradData.AssertIdentical($"{name}: gradInput of the second Backward", dx1, dx2);
        (float[] w2, float[] b2) = layer.Grads();

        // Grad doubles: the second call adds the same values again (up to the rounding of adding its per-sample partial sums).
        RefGradients reference = ReferenceGradients.Backward(
            layer.Spec, GradData.Widen(x), GradData.Widen(dy), batch, layer.Training(), GradData.WeightOf(layer), GradData.BiasOf(layer),
            GradData.RunningMeanOf(layer), GradData.RunningVarOf(layer));
        if (layer.Weight is not null)
        {
            Assert.True(Array.TrueForAll(reference.GradWeight, v => v == 0) || Array.Exists(w1, v => v != 0), $"{name}: Weight.Grad stayed 0."); // GnUnit: x̂ = 0, so 0 is right
            GradData.AssertWithin($"{name}: Weight.Grad after two Backward calls vs 2 x after one", w2, Array.ConvertAll(w1, v => 2.0 * v), Array.ConvertAll(reference.WeightScale, s => 2 * s), GradData.ParamUnits(batch));
        }

        if (layer.Bias is not null)
        {
            Assert.Contains(b1, v => v != 0);
            GradData.AssertWithin($"{name}: Bias.Grad after two Backward calls vs 2 x after one", b2, Array.ConvertAll(b1, v => 2.0 * v), Array.ConvertAll(reference.BiasScale, s => 2 * s), GradData.ParamUnits(batch));
        }

        layer.ZeroGrad();
        (float[] w0, float[] b0) = layer.Grads();
        Assert.All(w0, v => Assert.Equal(0f, v));
        Assert.All(b0, v => Assert.Equal(0f, v));

        float[] dx3 = RunBackward(layer, x, dy);
        GradData.AssertIdentical($"{name}: gradInput after ZeroGrad", dx1, dx3);
        (float[] w3, float[] b3) = layer.Grads();
        GradData.AssertIdentical($"{name}: Weight.Grad after ZeroGrad and one Backward", w1, w3);
        GradData.AssertIdentical($"{name}: Bias.Grad after ZeroGrad and one Backward", b1, b3);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GradInputIsOverwritten(string name)
    {
        GradLayer layer = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 4);
        RunForward(layer, x);
        float[] clean = RunBackward(layer, x, dy);

        var dirty = new float[x.Length];
        Array.Fill(dirty, float.NaN);
        layer.ZeroGrad();
        layer.Backward(x, dy, dirty);
        GradData.AssertIdentical($"{name}: gradInput prefilled with NaN", clean, dirty);

        Array.Fill(dirty, float.PositiveInfinity);
        layer.ZeroGrad();
        layer.Backward(x, dy, dirty);
        GradData.AssertIdentical($"{name}: gradInput prefilled with +Inf", clean, dirty);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void InPlaceBackwardEqualsOutOfPlace(string name)
    {
        GradLayer layer = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 3);
        RunForward(layer, x);
        float[] expected = RunBackward(layer, x, dy);
        (float[] w, float[] b) = layer.Grads();

        layer.ZeroGrad();
        float[] buffer = (float[])dy.Clone();
        layer.Backward(x, buffer, buffer); // gradInput is the same memory as gradOutput
        (float[] wInPlace, float[] bInPlace) = layer.Grads();
        string[] problems =
        [
            GradData.Difference("gradInput", expected, buffer),
            GradData.Difference("Weight.Grad", w, wInPlace),
            GradData.Difference("Bias.Grad", b, bInPlace),
        ];
        problems = Array.FindAll(problems, p => p.Length > 0);
        Assert.True(problems.Length == 0, $"{name} ({(layer.Training() ? "train" : "eval")}, N=3): in-place Backward differs from out-of-place: {string.Join("; ", problems)}");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void TensorOverloadMatchesSpanOverload(string name)
    {
        GradLayer layer = Prepared(name);
        const int batch = 2;
        (float[] x, float[] dy) = Data(layer, batch);
        RunForward(layer, x);
        float[] expected = RunBackward(layer, x, dy);
        (float[] w, float[] b) = layer.Grads();

        nint[] shape = new nint[layer.SampleShape.Length + 1];
        shape[0] = batch;
        for (int i = 0; i < layer.SampleShape.Length; i++)
        {
            shape[i + 1] = layer.SampleShape[i];
        }

        layer.ZeroGrad();
        var dx = new float[x.Length];
        layer.BackwardTensor(new ReadOnlyTensorSpan<float>(x, shape, []), new ReadOnlyTensorSpan<float>(dy, shape, []), new TensorSpan<float>(dx, shape, []));
        GradData.AssertIdentical($"{name}: tensor-overload gradInput", expected, dx);
        (float[] wTensor, float[] bTensor) = layer.Grads();
        GradData.AssertIdentical($"{name}: tensor-overload Weight.Grad", w, wTensor);
        GradData.AssertIdentical($"{name}: tensor-overload Bias.Grad", b, bTensor);

        // A gradOutput of another shape (same element count, batch and first sample dimension swapped) is rejected.
        nint[] other = (nint[])shape.Clone();
        (other[0], other[^1]) = (other[^1], other[0]);
        if (other[0] != shape[0])
        {
            float[] before = layer.StateSnapshot();
            var ex = Assert.Throws<ArgumentException>(() =>
                layer.BackwardTensor(new ReadOnlyTensorSpan<float>(x, shape, []), new ReadOnlyTensorSpan<float>(dy, other, []), new TensorSpan<float>(dx, shape, [])));
            Assert.Equal("gradOutput", ex.ParamName);
            Assert.StartsWith("Expected gradOutput of shape [", ex.Message);
            GradData.AssertIdentical($"{name}: state after a rejected tensor Backward", before, layer.StateSnapshot());
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void BackwardWithoutForwardThrowsAndChangesNothing(string name)
    {
        GradLayer layer = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 3);
        var dx = new float[x.Length];
        Array.Fill(dx, 7f);
        float[] before = layer.StateSnapshot();

        var ex = Assert.Throws<InvalidOperationException>(() => layer.Backward(x, dy, dx));
        Assert.Equal(NoForwardMessage, ex.Message);
        GradData.AssertIdentical($"{name}: state after Backward without Forward", before, layer.StateSnapshot());
        Assert.All(dx, v => Assert.Equal(7f, v));

        // Eval mode (running statistics where the layer has them) needs a Forward just the same.
        layer.SetTraining(false);
        ex = Assert.Throws<InvalidOperationException>(() => layer.Backward(x, dy, dx));
        Assert.Equal(NoForwardMessage, ex.Message);
        Assert.All(dx, v => Assert.Equal(7f, v));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void BackwardAfterForwardWithAnotherBatchSizeThrowsAndChangesNothing(string name)
    {
        GradLayer layer = Prepared(name);
        GradLayer twin = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 3);
        RunForward(layer, x);
        RunForward(twin, x);
        float[] before = layer.StateSnapshot();

        foreach (int other in new[] { 2, 4 })
        {
            (float[] xo, float[] dyo) = Data(layer, other);
            var dx = new float[xo.Length];
            Array.Fill(dx, 7f);
            var ex = Assert.Throws<InvalidOperationException>(() => layer.Backward(xo, dyo, dx));
            Assert.Equal(OtherBatchMessage(3, other), ex.Message);
            GradData.AssertIdentical($"{name}: state after Backward with batch {other}", before, layer.StateSnapshot());
            Assert.All(dx, v => Assert.Equal(7f, v));
        }

        // The saved statistics survived: Backward with the right batch matches a twin that never saw an error.
        GradData.AssertIdentical($"{name}: gradInput after the rejected calls", RunBackward(twin, x, dy), RunBackward(layer, x, dy));
        GradData.AssertIdentical($"{name}: Weight.Grad after the rejected calls", twin.Grads().Weight, layer.Grads().Weight);
        GradData.AssertIdentical($"{name}: Bias.Grad after the rejected calls", twin.Grads().Bias, layer.Grads().Bias);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GradOutputOfTheWrongLengthThrowsArgumentExceptionAndChangesNothing(string name)
    {
        GradLayer layer = Prepared(name);
        GradLayer twin = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 3);
        RunForward(layer, x);
        RunForward(twin, x);
        float[] before = layer.StateSnapshot();
        var dx = new float[x.Length];
        Array.Fill(dx, 7f);

        foreach (int length in new[] { x.Length - 1, x.Length + layer.SampleSize, 0 })
        {
            var wrong = new float[length];
            var ex = Assert.Throws<ArgumentException>(() => layer.Backward(x, wrong, dx));
            Assert.Equal("gradOutput", ex.ParamName);
            Assert.StartsWith($"Expected gradOutput length {x.Length} (the same as the input), but got {length}.", ex.Message);
            GradData.AssertIdentical($"{name}: state after gradOutput of length {length}", before, layer.StateSnapshot());
            Assert.All(dx, v => Assert.Equal(7f, v));
        }

        GradData.AssertIdentical($"{name}: gradInput after the rejected calls", RunBackward(twin, x, dy), RunBackward(layer, x, dy));
        GradData.AssertIdentical($"{name}: Weight.Grad after the rejected calls", twin.Grads().Weight, layer.Grads().Weight);
    }

    /// <summary>Backward uses what the last Forward saved, whatever the mode is when Backward runs.</summary>
    [Theory]
    [InlineData("Bn2d")]
    [InlineData("Bn1dFlat")]
    [InlineData("In3d")]
    [InlineData("In2dTrack")]
    public void BackwardUsesTheStatisticsOfTheLastForwardNotTheCurrentMode(string name)
    {
        foreach (bool forwardTraining in new[] { true, false })
        {
            GradLayer layer = Prepared(name);
            const int batch = 3;
            (float[] x, float[] dy) = Data(layer, batch);
            layer.SetTraining(forwardTraining);
            double[]? rm = GradData.RunningMeanOf(layer), rv = GradData.RunningVarOf(layer); // before a training Forward updates them
            RunForward(layer, x);
            layer.SetTraining(!forwardTraining);
            float[] dx = RunBackward(layer, x, dy);

            RefGradients expected = ReferenceGradients.Backward(
                layer.Spec, GradData.Widen(x), GradData.Widen(dy), batch, forwardTraining, GradData.WeightOf(layer), GradData.BiasOf(layer), rm, rv);
            GradData.AssertWithin($"{name}: Forward in {(forwardTraining ? "train" : "eval")}, Backward after switching mode", dx, expected.GradInput, expected.InputScale, GradData.GradInputUnits);
        }
    }

    /// <summary>A Forward that throws saves nothing: Backward still refers to the last successful Forward.</summary>
    [Fact]
    public void RejectedForwardDoesNotReplaceTheSavedStatistics()
    {
        GradLayer layer = Prepared("Bn2dUnit");
        (float[] x2, float[] dy2) = Data(layer, 2);
        RunForward(layer, x2);
        (float[] x1, float[] dy1) = Data(layer, 1);
        Assert.Throws<ArgumentException>(() => RunForward(layer, x1)); // one value per channel in training mode
        var ex = Assert.Throws<InvalidOperationException>(() => RunBackward(layer, x1, dy1));
        Assert.Equal(OtherBatchMessage(2, 1), ex.Message);

        layer.ZeroGrad();
        float[] dx = RunBackward(layer, x2, dy2);
        RefGradients expected = ReferenceGradients.Backward(
            layer.Spec, GradData.Widen(x2), GradData.Widen(dy2), 2, true, GradData.WeightOf(layer), GradData.BiasOf(layer), null, null);
        GradData.AssertWithin("Bn2dUnit: Backward after a rejected Forward", dx, expected.GradInput, expected.InputScale, GradData.GradInputUnits);

        // InstanceNorm with one spatial element cannot train; a rejected training Forward is no Forward at all.
        GradLayer unit = GradLayers.Create("InUnit");
        (float[] x, float[] dy) = Data(unit, 3);
        Assert.Throws<ArgumentException>(() => RunForward(unit, x));
        ex = Assert.Throws<InvalidOperationException>(() => RunBackward(unit, x, dy));
        Assert.Equal(NoForwardMessage, ex.Message);
    }

    /// <summary>An empty batch: Forward and Backward of zero samples do nothing and throw nothing.</summary>
    [Theory]
    [InlineData("Bn2d")]
    [InlineData("Ln768")]
    [InlineData("Gn2d")]
    [InlineData("In3d")]
    [InlineData("Lrn")]
    public void EmptyBatchBackwardIsANoOp(string name)
    {
        GradLayer layer = Prepared(name);
        (float[] x, float[] dy) = Data(layer, 3);
        RunForward(layer, x);
        RunBackward(layer, x, dy);
        layer.Forward([], []);
        float[] before = layer.StateSnapshot();
        layer.Backward([], [], []);
        GradData.AssertIdentical($"{name}: state after an empty Backward", before, layer.StateSnapshot());
    }

    /// <summary>
    /// Every layer class declared in Layers.cs and FamilyLayers.cs (the files the fixture script reads too) has an adapter
    /// here, so no layer escapes the backward tests.
    /// </summary>
    [Fact]
    public void EveryDeclaredLayerIsCovered()
    {
        var declared = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string file in new[] { "Layers.cs", "FamilyLayers.cs" })
        {
            string text = System.IO.File.ReadAllText(TestSourceFile(file));
            foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(text, @"public\s+partial\s+class\s+(\w+)"))
            {
                declared.Add(match.Groups[1].Value);
            }
        }

        Assert.Equal(declared, new SortedSet<string>(GradLayers.Names, StringComparer.Ordinal));
        foreach (string name in GradLayers.Names)
        {
            Assert.Equal(name, GradLayers.Create(name).Name);
            Type? type = typeof(GradLayers).Assembly.GetType("NormGen.Runtime.Tests.Layers." + name);
            Assert.NotNull(type);
            Assert.Equal(GradLayers.Create(name).SampleSize, (int)type.GetField("SampleSize")!.GetValue(null)!);
        }
    }

    /// <summary>tests/NormGen.Runtime.Tests/<paramref name="file"/>, found by walking up from the test assembly.</summary>
    private static string TestSourceFile(string file)
    {
        for (var dir = new System.IO.DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "tests", "NormGen.Runtime.Tests", file);
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new System.IO.FileNotFoundException($"tests/NormGen.Runtime.Tests/{file} not found above {AppContext.BaseDirectory}.");
    }
}
