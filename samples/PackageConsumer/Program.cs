using System.Globalization;
using NormGen;
using PackageConsumer;

// Declares layers with the NormGen package's attributes, runs them and checks the results; exits 1 on any failure,
// so a broken package (missing generator, missing runtime, wrong layout) fails CI.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int failures = 0;

// 1. BatchNorm2d in training mode: every channel of the output has mean 0 and (biased) variance 1.
var image = new ImageNorm();
const int batch = 3;
float[] input = new float[batch * ImageNorm.SampleSize];
var random = new Random(1);
for (int i = 0; i < input.Length; i++)
{
    int channel = i / 16 % ImageNorm.NumFeatures;
    input[i] = channel * 2f + (float)random.NextDouble();
}

float[] output = new float[input.Length];
image.Forward(input, output);
(double[] mean, double[] variance) = ChannelMoments(output, ImageNorm.NumFeatures, planeSize: 16);
Check("ImageNorm output channel means are 0", mean.All(m => Math.Abs(m) < 1e-4));
Check("ImageNorm output channel variances are 1", variance.All(v => Math.Abs(v - 1) < 1e-2));
(double[] inputMean, _) = ChannelMoments(input, ImageNorm.NumFeatures, planeSize: 16);
Check("running_mean moved 10% of the way to the batch mean", image.RunningMean.AsSpan().ToArray().Select((r, c) => Math.Abs(r - 0.1 * inputMean[c])).Max() < 1e-5);
Check("num_batches_tracked is 1", image.NumBatchesTracked == 1);
Check("parameters under PyTorch's names", string.Join(",", image.NamedParameters().AsSpan().ToArray().Select(p => p.Name)) == "weight,bias");
Console.WriteLine($"ImageNorm   [BatchNorm2d(8, 4, 4)]: output mean {mean.Max():0.000000}, var {variance.Average():0.0000}, running_mean[7] {image.RunningMean.AsSpan()[7]:0.0000}");

// 2. Eval mode uses the running statistics: (x - running_mean) / sqrt(running_var + eps).
image.Eval().Forward(input, output);
double expected = (input[0] - image.RunningMean.AsSpan()[0]) / Math.Sqrt(image.RunningVar.AsSpan()[0] + ImageNorm.Eps);
Check("eval mode normalizes with the running statistics", Math.Abs(output[0] - expected) < 1e-4);
Console.WriteLine($"ImageNorm   eval: y[0] = {output[0]:0.0000} (expected {expected:0.0000})");

// 3. BatchNorm1d without running statistics, and a nested layer with a cumulative average.
var features = new FeatureNorm();
float[] x = Enumerable.Range(0, 4 * 16).Select(i => (float)(i % 7)).ToArray();
float[] y = new float[x.Length];
features.Eval().Forward(x, y);
(double[] featureMean, _) = ChannelMoments(y, 16, planeSize: 1);
Check("FeatureNorm uses batch statistics even in eval mode", featureMean.All(m => Math.Abs(m) < 1e-4));
Check("FeatureNorm has no buffers", features.NamedBuffers().Count == 0);
Console.WriteLine($"FeatureNorm [BatchNorm1d(16, TrackRunningStats = false)]: eps {FeatureNorm.Eps}, buffers {features.NamedBuffers().Count}");

var sequence = new Blocks.SequenceNorm();
float[] s = Enumerable.Range(0, 2 * Blocks.SequenceNorm.SampleSize).Select(i => (float)Math.Sin(i)).ToArray();
sequence.Forward(s, new float[s.Length]);
sequence.Forward(s, new float[s.Length]);
Check("cumulative average counts batches", sequence.NumBatchesTracked == 2);
Console.WriteLine($"SequenceNorm [BatchNorm1d(4, Length = 10, CumulativeAverage = true)]: num_batches_tracked {sequence.NumBatchesTracked}");

Console.WriteLine(failures == 0 ? "PackageConsumer: all checks passed" : $"PackageConsumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

void Check(string what, bool ok)
{
    if (!ok)
    {
        failures++;
        Console.Error.WriteLine($"FAILED: {what}");
    }
}

static (double[] Mean, double[] Variance) ChannelMoments(float[] data, int channels, int planeSize)
{
    double[] sum = new double[channels];
    double[] squares = new double[channels];
    int count = data.Length / channels;
    for (int i = 0; i < data.Length; i++)
    {
        int c = i / planeSize % channels;
        sum[c] += data[i];
        squares[c] += (double)data[i] * data[i];
    }

    double[] mean = sum.Select(v => v / count).ToArray();
    return (mean, squares.Select((q, c) => (q / count) - (mean[c] * mean[c])).ToArray());
}
