using System.Globalization;
using System.Numerics.Tensors;
using NormGen;
using NormGen.Optim;

namespace WeightDecay;

/// <summary>What one epoch ended with.</summary>
/// <param name="Epoch">Epoch number (0: before training).</param>
/// <param name="Loss">Mean training loss over the epoch's batches (train mode: BatchNorm uses batch statistics).</param>
/// <param name="TestLoss">Test loss in eval mode (BatchNorm uses its running statistics).</param>
/// <param name="TestAccuracy">Test accuracy in eval mode.</param>
/// <param name="W1">||fc1.weight|| (feeds norm1).</param>
/// <param name="W2">||fc2.weight|| (feeds norm2).</param>
/// <param name="EffectiveLr1">lr / ||fc1.weight||^2, with the learning rate of fc1.weight's parameter group.</param>
/// <param name="EffectiveLr2">lr / ||fc2.weight||^2, likewise.</param>
/// <param name="Gamma">Mean |gamma| over both BatchNorms.</param>
public sealed record EpochStats(int Epoch, double Loss, double TestLoss, double TestAccuracy, double W1, double W2, double EffectiveLr1, double EffectiveLr2, double Gamma);

/// <summary>A training run: its configuration and the statistics of each epoch.</summary>
public sealed record Run(string Key, string Title, EpochStats Start, IReadOnlyList<EpochStats> Epochs);

/// <summary>Trains a <see cref="Net"/> with an optimizer and prints one line per epoch.</summary>
public sealed class Trainer(Dataset train, Dataset test, int epochs, int batchSize, int shuffleSeed)
{
    private const int BarWidth = 20;

    /// <summary>The per-epoch table's header.</summary>
    public static string Header =>
        "  epoch  progress                  loss  test loss  test acc   ||W1||  lr/||W1||^2   ||W2||  lr/||W2||^2   gamma";

    /// <summary>Optimizer steps per epoch.</summary>
    public int StepsPerEpoch => train.Count / batchSize;

    /// <summary>
    /// Trains for the configured epochs; every run sees the same batches in the same order. <paramref name="beforeStep"/>,
    /// if given, is called with the step number (from 0) before each optimizer step.
    /// </summary>
    public Run Fit(string key, string title, Net net, Sgd optimizer, Action<int>? beforeStep = null)
    {
        var shuffle = new Random(shuffleSeed);
        int[] order = Enumerable.Range(0, train.Count).ToArray();
        int batches = train.Count / batchSize;
        float[] x = new float[batchSize * Net.Inputs];
        int[] y = new int[batchSize];
        float[] gradLogits = new float[batchSize * Net.Classes];
        bool live = !Console.IsOutputRedirected;

        EpochStats start = Measure(net, optimizer, 0, double.NaN, double.NaN, double.NaN);
        Console.WriteLine(Header);
        Console.WriteLine(Line(start, Bar(0)));
        var history = new List<EpochStats>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            shuffle.Shuffle(order);
            net.Train();
            double lossSum = 0;
            for (int b = 0; b < batches; b++)
            {
                train.Gather(order.AsSpan(b * batchSize, batchSize), x, y);
                optimizer.ZeroGrad();
                lossSum += CrossEntropy.Compute(net.Forward(x), y, Net.Classes, gradLogits, out _);
                net.Backward(gradLogits);
                beforeStep?.Invoke((epoch - 1) * batches + b);
                optimizer.Step();
                if (live && b % 4 == 0)
                {
                    // Only on a terminal: redraw the bar in place. A log gets the finished line below and nothing else.
                    Console.Write($"\r  {epoch,5}  {Bar(epoch - 1 + (double)b / batches)}  batch {b + 1}/{batches}, loss {lossSum / (b + 1):0.0000}\u001b[K");
                }
            }

            var (testLoss, testAccuracy) = Test(net);
            EpochStats stats = Measure(net, optimizer, epoch, lossSum / batches, testLoss, testAccuracy);
            history.Add(stats);
            Console.WriteLine((live ? "\r" : "") + Line(stats, Bar(epoch)) + (live ? "\u001b[K" : ""));
        }

        return new Run(key, title, start, history);
    }

    private string Bar(double done)
    {
        int filled = (int)Math.Round(BarWidth * done / epochs, MidpointRounding.AwayFromZero);
        return "[" + new string('#', filled) + new string('.', BarWidth - filled) + "]";
    }

    private string Line(EpochStats s, string bar)
    {
        string Number(double v, string format, int width) => (double.IsNaN(v) ? "" : v.ToString(format, CultureInfo.InvariantCulture)).PadLeft(width);
        return string.Create(CultureInfo.InvariantCulture,
            $"  {s.Epoch,5}  {bar}  {Number(s.Loss, "0.0000", 6)}  {Number(s.TestLoss, "0.0000", 9)}  {Number(100 * s.TestAccuracy, "0.0'%'", 8)}  {s.W1,7:0.000}  {s.EffectiveLr1,11:0.000e+00}  {s.W2,7:0.000}  {s.EffectiveLr2,11:0.000e+00}  {s.Gamma,6:0.000}");
    }

    private static EpochStats Measure(Net net, Sgd optimizer, int epoch, double loss, double testLoss, double testAccuracy)
    {
        double gammaSum = TensorPrimitives.SumOfMagnitudes<float>(net.Norm1.Weight.DataSpan) + TensorPrimitives.SumOfMagnitudes<float>(net.Norm2.Weight.DataSpan);
        double w1 = Norm(net.Fc1.Weight), w2 = Norm(net.Fc2.Weight);
        return new EpochStats(
            epoch,
            loss,
            testLoss,
            testAccuracy,
            w1,
            w2,
            LearningRate(optimizer, net.Fc1.Weight) / (w1 * w1),
            LearningRate(optimizer, net.Fc2.Weight) / (w2 * w2),
            gammaSum / (net.Norm1.Weight.Count + net.Norm2.Weight.Count));
    }

    /// <summary>The learning rate the optimizer applies to <paramref name="parameter"/>: its group's, else the default.</summary>
    private static double LearningRate(Sgd optimizer, Parameter parameter)
        => optimizer.ParameterGroups.First(g => g.Parameters.Contains(parameter)).Lr ?? optimizer.Lr;

    /// <summary>Frobenius norm of a parameter.</summary>
    public static double Norm(Parameter p) => TensorPrimitives.Norm<float>(p.DataSpan);

    private (double Loss, double Accuracy) Test(Net net)
    {
        net.Eval();
        double loss = CrossEntropy.Compute(net.Forward(test.Features), test.Labels, Net.Classes, default, out int correct);
        net.Train();
        return (loss, (double)correct / test.Count);
    }
}
