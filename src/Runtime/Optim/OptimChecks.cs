using System;
using System.Globalization;

namespace NormGen.Optim;

/// <summary>
/// Argument checks shared by the optimizers and <see cref="ParameterGroup"/>, with torch.optim's messages
/// ("Invalid learning rate: -1"). Values print like Python's <c>repr</c> of a float where that matters
/// (<c>1e-08</c>, <c>nan</c>, <c>inf</c>), except that integral values print without <c>.0</c>.
/// </summary>
internal static class OptimChecks
{
    /// <summary>Formats a value the way torch.optim's <c>"{}".format(value)</c> prints it.</summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        return value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
    }

    // NaN is rejected everywhere (torch.optim.AdamW's `not 0.0 <= lr` form; SGD's `lr < 0.0` lets NaN through).

    public static void LearningRate(double lr, string paramName)
    {
        if (!(lr >= 0.0))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid learning rate: {Format(lr)}");
        }
    }

    public static void WeightDecay(double weightDecay, string paramName)
    {
        if (!(weightDecay >= 0.0))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid weight_decay value: {Format(weightDecay)}");
        }
    }

    public static void Momentum(double momentum, string paramName)
    {
        if (!(momentum >= 0.0))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid momentum value: {Format(momentum)}");
        }
    }

    public static void Dampening(double dampening, string paramName)
    {
        // torch.optim.SGD does not check dampening; only NaN, which would poison the momentum buffers, is rejected.
        if (double.IsNaN(dampening))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid dampening value: {Format(dampening)}");
        }
    }

    public static void Epsilon(double eps, string paramName)
    {
        if (!(eps >= 0.0))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid epsilon value: {Format(eps)}");
        }
    }

    public static void Beta(double beta, int index, string paramName)
    {
        if (!(beta >= 0.0 && beta < 1.0))
        {
            throw new ArgumentOutOfRangeException(paramName, $"Invalid beta parameter at index {index}: {Format(beta)}");
        }
    }

    /// <summary>torch.optim.SGD's rule: Nesterov needs a positive momentum and zero dampening.</summary>
    public static bool NesterovIsValid(bool nesterov, double momentum, double dampening)
        => !nesterov || (momentum > 0 && dampening == 0);

    public const string NesterovMessage = "Nesterov momentum requires a momentum and zero dampening";
}
