using System;
using NormGen.Optim;
using Xunit;

namespace NormGen.Runtime.Tests.Optim;

/// <summary>
/// Argument checks with torch.optim's messages (torch/optim/sgd.py, adamw.py and optimizer.py, 1.13). An
/// <see cref="ArgumentException"/>'s message is torch's text followed by " (Parameter '...')".
/// </summary>
public sealed class OptimizerArgumentTests
{
    private static Parameter[] Ps() => [new Parameter([3], weightDecay: true), new Parameter([2, 2], weightDecay: false)];

    private static void AssertMessage(string expected, Exception e)
        => Assert.True(e.Message.StartsWith(expected, StringComparison.Ordinal), $"expected a message starting with '{expected}', got '{e.Message}'");

    [Theory]
    [InlineData(-1.0, "Invalid learning rate: -1")]
    [InlineData(-0.001, "Invalid learning rate: -0.001")]
    [InlineData(double.NaN, "Invalid learning rate: nan")]
    public void SgdRejectsLearningRate(double lr, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(Ps(), lr));
        Assert.Equal("lr", e.ParamName);
        AssertMessage(message, e);
    }

    [Fact]
    public void SgdRejectsMomentumWeightDecayAndNesterovMisuse()
    {
        var momentum = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(Ps(), 0.1, momentum: -0.5));
        Assert.Equal("momentum", momentum.ParamName);
        AssertMessage("Invalid momentum value: -0.5", momentum);

        var wd = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(Ps(), 0.1, weightDecay: -1e-4));
        Assert.Equal("weightDecay", wd.ParamName);
        AssertMessage("Invalid weight_decay value: -0.0001", wd);

        AssertMessage(
            "Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd(Ps(), 0.1, nesterov: true)));
        AssertMessage(
            "Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd(Ps(), 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)));

        // torch accepts these.
        _ = new Sgd(Ps(), 0, momentum: 0.9, dampening: 0.5);
        _ = new Sgd(Ps(), 0.1, momentum: 0.9, nesterov: true);
    }

    [Fact]
    public void AdamWRejectsEachArgumentWithTorchMessage()
    {
        (Func<AdamW> make, string param, string message)[] cases =
        [
            (() => new AdamW(Ps(), lr: -1e-3), "lr", "Invalid learning rate: -0.001"),
            (() => new AdamW(Ps(), eps: -1e-8), "eps", "Invalid epsilon value: -1e-08"),
            (() => new AdamW(Ps(), beta1: 1.0), "beta1", "Invalid beta parameter at index 0: 1"),
            (() => new AdamW(Ps(), beta1: -0.1), "beta1", "Invalid beta parameter at index 0: -0.1"),
            (() => new AdamW(Ps(), beta2: 1.5), "beta2", "Invalid beta parameter at index 1: 1.5"),
            (() => new AdamW(Ps(), beta2: double.NaN), "beta2", "Invalid beta parameter at index 1: nan"),
            (() => new AdamW(Ps(), weightDecay: -0.01), "weightDecay", "Invalid weight_decay value: -0.01"),
            (() => new AdamW(Ps(), lr: double.PositiveInfinity * -1), "lr", "Invalid learning rate: -inf"),
        ];
        foreach ((Func<AdamW> make, string param, string message) in cases)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => make());
            Assert.Equal(param, e.ParamName);
            AssertMessage(message, e);
        }

        // Boundaries torch accepts.
        _ = new AdamW(Ps(), lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0);
    }

    [Fact]
    public void EmptyParameterListIsRejected()
    {
        AssertMessage("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Parameter>(), 0.1)));
        AssertMessage("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new AdamW(Array.Empty<Parameter>())));
        AssertMessage("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new AdamW(Array.Empty<ParameterGroup>())));

        // Like torch, an empty group is fine as long as there is a group (e.g. no normalization layer in a model).
        var optimizer = new AdamW([new ParameterGroup([]), new ParameterGroup(Ps())]);
        optimizer.Step();
        Assert.Throws<ArgumentNullException>(() => new Sgd((Parameter[])null!, 0.1));
        Assert.Throws<ArgumentNullException>(() => new Sgd([Ps()[0], null!], 0.1));
    }

    [Fact]
    public void AParameterMayAppearOnlyOnce()
    {
        Parameter[] ps = Ps();
        AssertMessage(
            "some parameters appear in more than one parameter group",
            Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup(ps), new ParameterGroup([ps[1]])], 0.1)));

        // torch 1.13 only warns about this (and then updates the parameter twice per step); NormGen rejects it.
        AssertMessage(
            "optimizer contains a parameter group with duplicate parameters",
            Assert.Throws<ArgumentException>(() => new Sgd([ps[0], ps[1], ps[0]], 0.1)));
    }

    [Fact]
    public void GroupSettersCheckWithTorchMessages()
    {
        var group = new ParameterGroup(Ps());
        AssertMessage("Invalid learning rate: -1", Assert.Throws<ArgumentOutOfRangeException>(() => group.Lr = -1));
        AssertMessage("Invalid weight_decay value: -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => group.WeightDecay = -0.5));
        AssertMessage("Invalid momentum value: -1", Assert.Throws<ArgumentOutOfRangeException>(() => group.Momentum = -1));
        AssertMessage("Invalid epsilon value: -1e-08", Assert.Throws<ArgumentOutOfRangeException>(() => group.Eps = -1e-8));
        AssertMessage("Invalid beta parameter at index 0: 1", Assert.Throws<ArgumentOutOfRangeException>(() => group.Beta1 = 1));
        AssertMessage("Invalid beta parameter at index 1: -0.25", Assert.Throws<ArgumentOutOfRangeException>(() => group.Beta2 = -0.25));
        AssertMessage("Invalid learning rate: -2", Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterGroup(Ps(), lr: -2)));
        Assert.Null(group.Lr);

        // Null restores the optimizer's default.
        group.Lr = 0.5;
        group.Lr = null;
        Assert.Null(group.Lr);
    }

    [Fact]
    public void OptimizersRejectOptionsOfTheOtherKind()
    {
        var adamOnly = new ParameterGroup(Ps()) { Beta1 = 0.8 };
        Assert.Contains("Beta1", Assert.Throws<ArgumentException>(() => new Sgd([adamOnly], 0.1)).Message, StringComparison.Ordinal);

        var sgdOnly = new ParameterGroup(Ps()) { Nesterov = true };
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new AdamW([sgdOnly])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NesterovIsCheckedPerGroupWithEffectiveSettings()
    {
        Parameter[] ps = Ps();

        // The group asks for Nesterov but inherits momentum 0.
        var bad = new ParameterGroup([ps[0]]) { Nesterov = true };
        AssertMessage(
            "Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd([bad, new ParameterGroup([ps[1]])], 0.1)));

        // The group supplies the momentum the default lacks.
        var good = new ParameterGroup([ps[0]]) { Nesterov = true, Momentum = 0.9 };
        var sgd = new Sgd([good, new ParameterGroup([ps[1]])], 0.1);
        sgd.Step();

        // Broken after construction: Step refuses instead of silently running plain momentum.
        good.Dampening = 0.1;
        AssertMessage("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<InvalidOperationException>(sgd.Step));
    }

    [Fact]
    public void WeightDecayExemptionsRejectBadArguments()
    {
        AssertMessage(
            "Invalid weight_decay value: -0.1",
            Assert.Throws<ArgumentOutOfRangeException>(() => ParameterGroups.WithWeightDecayExemptions([("w", Ps()[0])], -0.1)));
        Assert.Throws<ArgumentNullException>(() => ParameterGroups.WithWeightDecayExemptions(null!, 0.1));
        Assert.Throws<ArgumentNullException>(() => ParameterGroups.WithWeightDecayExemptions([("w", null!)], 0.1));
    }
}
