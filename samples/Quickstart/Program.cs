using System.Globalization;
using System.Numerics.Tensors;
using NormGen;
using Quickstart;

// NormGen for a PyTorch user, step by step. Every number printed below is computed by this program.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// 1. A running buffer moves towards a new value by linear interpolation:
//    torch.lerp(running, batch, 0.1) == (1 - 0.1) * running + 0.1 * batch.
Section("1. Linear interpolation of a running buffer (torch.lerp(running, target, 0.1))");
float[] running = [1, 2, 3, 4];
float[] target = [10, 10, 10, 10];
float[] moved = new float[4];
TensorPrimitives.Lerp(running, target, 0.1f, moved);
Console.WriteLine($"running = {Format(running)}, target = {Format(target)}, weight 0.1");
Console.WriteLine($"lerp    = {Format(moved)}");

// 2. BatchNorm2d's statistics are means over dimensions (0, 2, 3): batch, height and width.
Section("2. Mean over dimensions (0, 2, 3) of a (1, 2, 3, 4) tensor (torch.mean(x, (0, 2, 3), keepdim))");
Tensor<float> x = Tensor.Create(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [1, 2, 3, 4]);
Tensor<float> kept = TensorMath.Mean(x, [0, 2, 3], keepDim: true);
Tensor<float> dropped = TensorMath.Mean(x, [0, 2, 3]);
Console.WriteLine($"x = arange(24).reshape(1, 2, 3, 4)");
Console.WriteLine($"keepdim=True : shape {Shape(kept)}, values {Format(kept.AsSpan())}");
Console.WriteLine($"keepdim=False: shape {Shape(dropped)}, values {Format(dropped.AsSpan())}");

// 3. A layer declared by attribute: [BatchNorm2d(2, 3, 4)] public partial class StemNorm { }
Section("3. [BatchNorm2d(2, 3, 4)] partial class StemNorm: parameters and buffers under PyTorch's names");
var norm = new StemNorm();
Console.WriteLine($"NumFeatures = {StemNorm.NumFeatures}, SampleSize = {StemNorm.SampleSize}, Training = {norm.Training}");
foreach (var (name, parameter) in norm.NamedParameters())
{
    Console.WriteLine($"parameter {name,-20} shape {Shape(parameter.Data)} = {Format(parameter.DataSpan)} (weight decay: {parameter.WeightDecay})");
}

foreach (var (name, buffer) in norm.NamedBuffers())
{
    Console.WriteLine($"buffer    {name,-20} shape {FormatLengths(buffer.Lengths)} = {BufferText(buffer)}");
}

// 4. One training step: normalize with the batch statistics, move the running mean 10% of the way.
Section("4. A training step: running_mean moves 10% of the way to the batch mean");
var random = new Random(7);
int batch = 4;
float[] input = new float[batch * StemNorm.SampleSize];
for (int i = 0; i < input.Length; i++)
{
    int channel = i / 12 % 2;
    input[i] = (channel == 0 ? 5f : -3f) + (float)(random.NextDouble() * 2 - 1);
}

float[] output = new float[input.Length];
double[] batchMean = ChannelMeans(input, batch);
norm.Forward(input, output);
Console.WriteLine($"batch mean per channel        = {Format(batchMean)}");
Console.WriteLine($"running_mean after one step   = {Format(norm.RunningMean.AsSpan())}  (0.9 * 0 + 0.1 * batch mean)");
Console.WriteLine($"running_var after one step    = {Format(norm.RunningVar.AsSpan())}  (0.9 * 1 + 0.1 * unbiased batch var)");
Console.WriteLine($"num_batches_tracked           = {norm.NumBatchesTracked}");
Console.WriteLine($"output mean per channel       = {Format(ChannelMeans(output, batch))}  (normalized: about 0)");

// 5. Eval mode normalizes with the running statistics instead, and updates nothing.
Section("5. Eval mode: normalize with running_mean and running_var");
norm.Eval();
norm.Forward(input, output);
float rm = norm.RunningMean.AsSpan()[0];
float rv = norm.RunningVar.AsSpan()[0];
double expected = (input[0] - rm) / Math.Sqrt(rv + StemNorm.Eps);
Console.WriteLine($"x[0] = {input[0]:0.0000}, (x - running_mean) / sqrt(running_var + eps) = {expected:0.0000}, layer output = {output[0]:0.0000}");
Console.WriteLine($"num_batches_tracked still {norm.NumBatchesTracked}; Training = {norm.Training}");

// 6. The rest of the family: LayerNorm normalizes each row, GroupNorm each group of channels of each sample.
Section("6. [LayerNorm(8)] and [GroupNorm(2, 4, 3, 3)]: statistics per row and per (sample, group)");
var tokenNorm = new TokenNorm();
float[] tokens = [1, 2, 3, 4, 5, 6, 7, 8, 100, 100, 100, 100, 101, 101, 101, 101];
float[] normalizedTokens = new float[tokens.Length];
tokenNorm.Forward(tokens, normalizedTokens);
Console.WriteLine($"rows                = {Format(tokens.AsSpan(0, 8))} and {Format(tokens.AsSpan(8, 8))}");
Console.WriteLine($"LayerNorm row 0     = {Format(normalizedTokens.AsSpan(0, 8))}");
Console.WriteLine($"LayerNorm row 1     = {Format(normalizedTokens.AsSpan(8, 8))}  (mean 100.5, std 0.5)");
Console.WriteLine($"parameters          = {string.Join(", ", tokenNorm.NamedParameters().AsSpan().ToArray().Select(p => $"{p.Name} {Shape(p.Parameter.Data)}"))}; buffers: {tokenNorm.NamedBuffers().Count}");

var groupNorm = new FeatureGroupNorm();
float[] maps = new float[2 * FeatureGroupNorm.SampleSize];
for (int i = 0; i < maps.Length; i++)
{
    maps[i] = i % 18 < 9 ? 10 + (i % 9) : -(i % 9);
}

float[] normalizedMaps = new float[maps.Length];
groupNorm.Forward(maps, normalizedMaps);
Console.WriteLine($"GroupNorm: {FeatureGroupNorm.NumGroups} groups of {FeatureGroupNorm.NumChannels / FeatureGroupNorm.NumGroups} channels; group means of the output = " +
    Format(Enumerable.Range(0, 4).Select(g => normalizedMaps.AsSpan(g * 18, 18).ToArray().Average()).ToArray()));

static void Section(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

static string Format<T>(ReadOnlySpan<T> values)
    where T : IConvertible => "[" + string.Join(", ", values.ToArray().Select(v => (Math.Round(v.ToDouble(CultureInfo.InvariantCulture), 4) + 0.0).ToString(CultureInfo.InvariantCulture))) + "]";

static string Shape(Tensor<float> tensor) => FormatLengths(tensor.Lengths);

static string FormatLengths(ReadOnlySpan<nint> lengths) => TensorExtensions.FormatShape(lengths);

static string BufferText(IReadOnlyTensor buffer) => buffer switch
{
    Tensor<float> f => Format<float>(f.AsSpan()),
    Tensor<long> l => Format<long>(l.AsSpan()),
    _ => buffer.ToString() ?? "",
};

static double[] ChannelMeans(float[] data, int batch)
{
    double[] means = new double[StemNorm.NumFeatures];
    for (int i = 0; i < data.Length; i++)
    {
        means[i / 12 % 2] += data[i];
    }

    return means.Select(m => m / (batch * 12)).ToArray();
}
