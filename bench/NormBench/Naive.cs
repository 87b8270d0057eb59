using System;

namespace NormBench;

/// <summary>
/// Naive scalar implementations, written the way one would without thinking about speed: plain loops over the
/// contiguous data, two passes in double for the statistics (mean, then the squared deviations from it), and a third
/// loop that normalizes. They compute what the generated layers compute (same running-statistics update, same eval
/// formula), so the benchmarks compare equal work.
/// </summary>
public sealed class NaiveBatchNorm
{
    private readonly int _channels;
    private readonly int _plane;
    private readonly double _eps;
    private readonly float _momentum;
    private readonly double[] _sum;
    private readonly double[] _squares;
    private readonly double[] _saveMean;
    private readonly double[] _saveInvStd;

    /// <summary>Creates the layer: weight 1, bias 0, running mean 0, running variance 1 (PyTorch's initial values).</summary>
    public NaiveBatchNorm(int channels, int plane, double eps = 1e-5, double momentum = 0.1)
    {
        _channels = channels;
        _plane = plane;
        _eps = eps;
        _momentum = (float)momentum;
        _sum = new double[channels];
        _squares = new double[channels];
        _saveMean = new double[channels];
        _saveInvStd = new double[channels];
        Weight = new float[channels];
        Bias = new float[channels];
        WeightGrad = new float[channels];
        BiasGrad = new float[channels];
        RunningMean = new float[channels];
        RunningVar = new float[channels];
        Weight.AsSpan().Fill(1f);
        RunningVar.AsSpan().Fill(1f);
    }

    /// <summary>Per-channel scale γ.</summary>
    public float[] Weight { get; }

    /// <summary>Per-channel shift β.</summary>
    public float[] Bias { get; }

    /// <summary>Accumulated gradient of <see cref="Weight"/>.</summary>
    public float[] WeightGrad { get; }

    /// <summary>Accumulated gradient of <see cref="Bias"/>.</summary>
    public float[] BiasGrad { get; }

    /// <summary>Running mean per channel.</summary>
    public float[] RunningMean { get; }

    /// <summary>Running unbiased variance per channel.</summary>
    public float[] RunningVar { get; }

    /// <summary>Training forward: batch statistics (biased variance for normalization, unbiased for the running update).</summary>
    public void ForwardTrain(ReadOnlySpan<float> x, Span<float> y)
    {
        int batch = x.Length / (_channels * _plane);
        double count = (double)batch * _plane;
        Array.Clear(_sum);
        Array.Clear(_squares);
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < _channels; c++)
            {
                double sum = 0;
                for (int i = 0; i < _plane; i++)
                {
                    sum += x[at++];
                }

                _sum[c] += sum;
            }
        }

        at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < _channels; c++)
            {
                double mean = _sum[c] / count;
                double squares = 0;
                for (int i = 0; i < _plane; i++)
                {
                    double d = x[at++] - mean;
                    squares += d * d;
                }

                _squares[c] += squares;
            }
        }

        for (int c = 0; c < _channels; c++)
        {
            double mean = _sum[c] / count;
            double m2 = _squares[c];
            RunningMean[c] = ((1f - _momentum) * RunningMean[c]) + (_momentum * (float)mean);
            RunningVar[c] = ((1f - _momentum) * RunningVar[c]) + (_momentum * (float)(m2 / (count - 1)));
            _saveMean[c] = mean;
            _saveInvStd[c] = 1 / Math.Sqrt((m2 / count) + _eps);
            _squares[c] = Weight[c] * _saveInvStd[c]; // now the scale
            _sum[c] = mean;
        }

        Apply(x, y, batch);
    }

    /// <summary>
    /// Backward of the last training forward: Σdy and Σdy·(x - mean) per channel in double, then
    /// dx = γ·invStd·(dy - Σdy/M - (x - mean)·invStd²·Σdy·(x - mean)/M); accumulates the weight and bias gradients.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int batch = x.Length / (_channels * _plane);
        double count = (double)batch * _plane;
        Array.Clear(_sum);
        Array.Clear(_squares);
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < _channels; c++)
            {
                double mean = _saveMean[c];
                double sumDy = 0;
                double sumDyX = 0;
                for (int i = 0; i < _plane; i++, at++)
                {
                    sumDy += dy[at];
                    sumDyX += dy[at] * (x[at] - mean);
                }

                _sum[c] += sumDy;
                _squares[c] += sumDyX;
            }
        }

        for (int c = 0; c < _channels; c++)
        {
            WeightGrad[c] += (float)(_squares[c] * _saveInvStd[c]);
            BiasGrad[c] += (float)_sum[c];
        }

        at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < _channels; c++)
            {
                double mean = _saveMean[c];
                double invStd = _saveInvStd[c];
                double meanDy = _sum[c] / count;
                double projection = invStd * invStd * _squares[c] / count;
                double scale = Weight[c] * invStd;
                for (int i = 0; i < _plane; i++, at++)
                {
                    dx[at] = (float)(scale * (dy[at] - meanDy - ((x[at] - mean) * projection)));
                }
            }
        }
    }

    /// <summary>Eval forward: the running statistics.</summary>
    public void ForwardEval(ReadOnlySpan<float> x, Span<float> y)
    {
        int batch = x.Length / (_channels * _plane);
        for (int c = 0; c < _channels; c++)
        {
            _sum[c] = RunningMean[c];
            _squares[c] = Weight[c] / Math.Sqrt(RunningVar[c] + _eps);
        }

        Apply(x, y, batch);
    }

    /// <summary>y = (x - mean) * scale + bias with mean in <c>_sum</c> and scale in <c>_squares</c>.</summary>
    private void Apply(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < _channels; c++)
            {
                double mean = _sum[c];
                double scale = _squares[c];
                double bias = Bias[c];
                for (int i = 0; i < _plane; i++, at++)
                {
                    y[at] = (float)(((x[at] - mean) * scale) + bias);
                }
            }
        }
    }
}

/// <summary>Naive LayerNorm over the last dimension: per row, mean and variance in double, then the element-wise affine.</summary>
public sealed class NaiveLayerNorm
{
    private readonly int _features;
    private readonly double _eps;
    private readonly SavedStatistics _saved = new();

    /// <summary>Creates the layer: weight 1, bias 0.</summary>
    public NaiveLayerNorm(int features, double eps = 1e-5)
    {
        _features = features;
        _eps = eps;
        Weight = new float[features];
        Bias = new float[features];
        WeightGrad = new float[features];
        BiasGrad = new float[features];
        Weight.AsSpan().Fill(1f);
    }

    /// <summary>Accumulated gradient of <see cref="Weight"/>.</summary>
    public float[] WeightGrad { get; }

    /// <summary>Accumulated gradient of <see cref="Bias"/>.</summary>
    public float[] BiasGrad { get; }

    /// <summary>
    /// Backward: per row, the statistics saved by Forward, then dx = invStd·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ;
    /// accumulates the weight and bias gradients.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = x.Length / _features;
        for (int r = 0; r < rows; r++)
        {
            int start = r * _features;
            (double mean, double invStd) = _saved[r];
            double sumG = 0;
            double sumGx = 0;
            for (int i = 0; i < _features; i++)
            {
                double xHat = (x[start + i] - mean) * invStd;
                double g = dy[start + i] * (double)Weight[i];
                sumG += g;
                sumGx += g * xHat;
                WeightGrad[i] += (float)(dy[start + i] * xHat);
                BiasGrad[i] += dy[start + i];
            }

            double meanG = sumG / _features;
            double meanGx = sumGx / _features;
            for (int i = 0; i < _features; i++)
            {
                double xHat = (x[start + i] - mean) * invStd;
                dx[start + i] = (float)(invStd * ((dy[start + i] * (double)Weight[i]) - meanG - (xHat * meanGx)));
            }
        }
    }

    /// <summary>Element-wise scale.</summary>
    public float[] Weight { get; }

    /// <summary>Element-wise shift.</summary>
    public float[] Bias { get; }

    /// <summary>Forward (LayerNorm has no running statistics: training and eval are the same computation).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length / _features;
        for (int r = 0; r < rows; r++)
        {
            int start = r * _features;
            double sum = 0;
            for (int i = 0; i < _features; i++)
            {
                sum += x[start + i];
            }

            double mean = sum / _features;
            double squares = 0;
            for (int i = 0; i < _features; i++)
            {
                double d = x[start + i] - mean;
                squares += d * d;
            }

            double invStd = 1 / Math.Sqrt((squares / _features) + _eps);
            _saved.Save(r, rows, mean, invStd);
            for (int i = 0; i < _features; i++)
            {
                y[start + i] = (float)((((x[start + i] - mean) * invStd) * Weight[i]) + Bias[i]);
            }
        }
    }
}

/// <summary>Naive GroupNorm: per (sample, group), mean and variance in double, then the per-channel affine.</summary>
public sealed class NaiveGroupNorm
{
    private readonly int _groups;
    private readonly int _channels;
    private readonly int _plane;
    private readonly double _eps;
    private readonly SavedStatistics _saved = new();

    /// <summary>Creates the layer: weight 1, bias 0.</summary>
    public NaiveGroupNorm(int groups, int channels, int plane, double eps = 1e-5)
    {
        _groups = groups;
        _channels = channels;
        _plane = plane;
        _eps = eps;
        Weight = new float[channels];
        Bias = new float[channels];
        WeightGrad = new float[channels];
        BiasGrad = new float[channels];
        Weight.AsSpan().Fill(1f);
    }

    /// <summary>Accumulated gradient of <see cref="Weight"/>.</summary>
    public float[] WeightGrad { get; }

    /// <summary>Accumulated gradient of <see cref="Bias"/>.</summary>
    public float[] BiasGrad { get; }

    /// <summary>
    /// Backward: per (sample, group), the statistics saved by Forward, then dx = invStd·(g - mean(g) - x̂·mean(g·x̂)) with
    /// g = dy·γ[channel]; accumulates the weight and bias gradients.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int channelsPerGroup = _channels / _groups;
        int groupLength = channelsPerGroup * _plane;
        int batch = x.Length / (_channels * _plane);
        for (int n = 0; n < batch; n++)
        {
            for (int gr = 0; gr < _groups; gr++)
            {
                int start = ((n * _groups) + gr) * groupLength;
                (double mean, double invStd) = _saved[(n * _groups) + gr];
                double sumG = 0;
                double sumGx = 0;
                for (int k = 0; k < channelsPerGroup; k++)
                {
                    int c = (gr * channelsPerGroup) + k;
                    double sumDy = 0;
                    double sumDyX = 0;
                    for (int i = start + (k * _plane); i < start + ((k + 1) * _plane); i++)
                    {
                        double xHat = (x[i] - mean) * invStd;
                        sumDy += dy[i];
                        sumDyX += dy[i] * xHat;
                    }

                    sumG += sumDy * Weight[c];
                    sumGx += sumDyX * Weight[c];
                    WeightGrad[c] += (float)sumDyX;
                    BiasGrad[c] += (float)sumDy;
                }

                double meanG = sumG / groupLength;
                double meanGx = sumGx / groupLength;
                for (int k = 0; k < channelsPerGroup; k++)
                {
                    double weight = Weight[(gr * channelsPerGroup) + k];
                    for (int i = start + (k * _plane); i < start + ((k + 1) * _plane); i++)
                    {
                        double xHat = (x[i] - mean) * invStd;
                        dx[i] = (float)(invStd * ((dy[i] * weight) - meanG - (xHat * meanGx)));
                    }
                }
            }
        }
    }

    /// <summary>Per-channel scale.</summary>
    public float[] Weight { get; }

    /// <summary>Per-channel shift.</summary>
    public float[] Bias { get; }

    /// <summary>Forward (GroupNorm has no running statistics: training and eval are the same computation).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int channelsPerGroup = _channels / _groups;
        int groupLength = channelsPerGroup * _plane;
        int batch = x.Length / (_channels * _plane);
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < _groups; g++)
            {
                int start = ((n * _groups) + g) * groupLength;
                double sum = 0;
                for (int i = 0; i < groupLength; i++)
                {
                    sum += x[start + i];
                }

                double mean = sum / groupLength;
                double squares = 0;
                for (int i = 0; i < groupLength; i++)
                {
                    double d = x[start + i] - mean;
                    squares += d * d;
                }

                double invStd = 1 / Math.Sqrt((squares / groupLength) + _eps);
                _saved.Save((n * _groups) + g, batch * _groups, mean, invStd);
                for (int k = 0; k < channelsPerGroup; k++)
                {
                    int c = (g * channelsPerGroup) + k;
                    double scale = Weight[c] * invStd;
                    double bias = Bias[c];
                    int plane = start + (k * _plane);
                    for (int i = 0; i < _plane; i++)
                    {
                        y[plane + i] = (float)(((x[plane + i] - mean) * scale) + bias);
                    }
                }
            }
        }
    }
}

/// <summary>Per-row (or per-group) mean and inverse standard deviation saved by a forward pass for the backward pass.</summary>
internal sealed class SavedStatistics
{
    private double[] _mean = [];
    private double[] _invStd = [];

    /// <summary>The saved values of row <paramref name="row"/>.</summary>
    public (double Mean, double InvStd) this[int row] => (_mean[row], _invStd[row]);

    /// <summary>Saves row <paramref name="row"/> of <paramref name="rows"/> (storage grows once, then is reused).</summary>
    public void Save(int row, int rows, double mean, double invStd)
    {
        if (_mean.Length < rows)
        {
            _mean = new double[rows];
            _invStd = new double[rows];
        }

        _mean[row] = mean;
        _invStd[row] = invStd;
    }
}
