using System.Globalization;
using System.Numerics.Tensors;
using NormGen;
using NormGen.Optim;
using WeightDecay;

// Weight decay and BatchNorm. A weight that feeds a BatchNorm is scale-invariant: the network computes the same
// function for W and 10 W, and the gradient of 10 W is 10 times smaller. Plain SGD then makes ||W|| grow and
// the effective learning rate lr / ||W||^2 shrink; weight decay keeps ||W|| small and so acts as a learning-rate
// schedule, not as a regularizer of the function (van Laarhoven 2017; Zhang et al. 2019): run (d) replaces the decay
// by that schedule and trains like run (b). BatchNorm's own gamma and beta are not scale-invariant: decaying them
// shrinks what the layer outputs (run (c)). Every number below is computed by this program from a fixed seed.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

const int DataSeed = 2024, InitSeed = 7, ShuffleSeed = 11;
const int TrainCount = 2048, TestCount = 1024, BatchSize = 64, Epochs = 40;
const double Lr = 0.02, Momentum = 0.9, Decay = 5e-3;

var (train, test) = Spirals.Create(TrainCount, TestCount, DataSeed);
Console.WriteLine($"Task: {Net.Classes} interleaved spirals (one turn each) in a random plane of {Net.Inputs}-D space, noise {Spirals.SpaceNoise} per coordinate;");
Console.WriteLine($"      {TrainCount} training and {TestCount} test samples (seed {DataSeed}).");
Console.WriteLine($"Net:  Linear({Net.Inputs}, {Net.Hidden1}, bias=False) -> BatchNorm1d({Net.Hidden1}) -> ReLU -> Linear({Net.Hidden1}, {Net.Hidden2}, bias=False)"
    + $" -> BatchNorm1d({Net.Hidden2}) -> ReLU -> Linear({Net.Hidden2}, {Net.Classes}) -> softmax cross-entropy");

// 1. Are the gradients right? Linear, ReLU and the loss are written in this sample; check them (and how they are
//    chained through the generated BatchNorm backward) against central differences before trusting any number.
Section("1. Gradient check: Net.Backward against central differences of the loss");
var checkNet = new Net(new Norm1(), new Norm2(), InitSeed);
RandomizeAffine(checkNet, seed: 3);
const int CheckBatch = 32;
const double CheckStep = 3e-3;
GradientCheck.Result check = GradientCheck.Run(checkNet, train, CheckBatch, CheckStep, entriesPerTensor: 48, seed: 5);
Console.WriteLine($"gradient check: max rel error {GradientCheck.Format(check.MaxError)} over {check.Errors.Count} parameter tensors, {check.Checked} entries");
Console.WriteLine($"  (central differences with h = {CheckStep}, batch of {CheckBatch}; {check.Skipped} entries skipped where the step flipped a ReLU input's sign)");
Console.WriteLine("  per tensor (max |analytic - numeric| / max |analytic|): "
    + string.Join(", ", check.Errors.Select(e => $"{e.Name} {GradientCheck.Format(e.Error)}")));
if (check.MaxError > 1e-3)
{
    Console.WriteLine("gradient check FAILED (tolerance 1e-3)");
    return 1;
}

// 2. Scale invariance, numerically: multiply W1 by 10 and look at the output and at the gradient of W1.
Section("2. Scale invariance: fc1.weight multiplied by 10 (BatchNorm in train mode, a batch of 256 training samples)");
ScaleInvariance(train, InitSeed);

// 3. The same network, the same initial weights, the same batches; four ways of treating weight decay.
Section($"3. Training: SGD, lr {Lr}, momentum {Momentum}, batch {BatchSize}, {Epochs} epochs; weight decay {Decay} where it applies");
Console.WriteLine("   loss: mean over the epoch's batches (train mode: batch statistics); test loss and accuracy: eval mode (running statistics).");
Console.WriteLine("   ||W1||, ||W2||: norms of fc1.weight and fc2.weight, the weights feeding the BatchNorms; lr/||W||^2: their");
Console.WriteLine("   effective learning rate; gamma: mean |gamma| of both BatchNorms.");
var trainer = new Trainer(train, test, Epochs, BatchSize, ShuffleSeed);
var runs = new List<Run>();

Console.WriteLine();
Console.WriteLine("(a) no weight decay: new Sgd(net.Parameters(), lr, momentum)");
var netA = new Net(new Norm1(), new Norm2(), InitSeed);
runs.Add(trainer.Fit("(a)", "no weight decay", netA, new Sgd(netA.Parameters(), Lr, Momentum)));

Console.WriteLine();
Console.WriteLine("(b) decay on the linear weights, none on BatchNorm: ParameterGroups.WithWeightDecayExemptions(net.NamedParameters(), wd)");
var netB = new Net(new Norm1(), new Norm2(), InitSeed);
ParameterGroup[] groupsB = ParameterGroups.WithWeightDecayExemptions(netB.NamedParameters(), Decay);
PrintGroups(netB, groupsB);
int steps = Epochs * trainer.StepsPerEpoch;
double[] effectiveLr1 = new double[steps], effectiveLr2 = new double[steps];
runs.Add(trainer.Fit("(b)", "decay on linear weights only", netB, new Sgd(groupsB, Lr, Momentum), step =>
{
    // Recorded for run (d): the effective learning rates of this step.
    effectiveLr1[step] = Lr / Math.Pow(Trainer.Norm(netB.Fc1.Weight), 2);
    effectiveLr2[step] = Lr / Math.Pow(Trainer.Norm(netB.Fc2.Weight), 2);
}));

Console.WriteLine();
Console.WriteLine("(c) decay on BatchNorm's gamma and beta too: [BatchNorm1d(..., WeightDecay = true)], same helper");
var netC = new Net(new Norm1Decayed(), new Norm2Decayed(), InitSeed);
ParameterGroup[] groupsC = ParameterGroups.WithWeightDecayExemptions(netC.NamedParameters(), Decay);
PrintGroups(netC, groupsC);
runs.Add(trainer.Fit("(c)", "decay on BatchNorm gamma/beta too", netC, new Sgd(groupsC, Lr, Momentum)));

Console.WriteLine();
Console.WriteLine("(d) like (b), but no decay on fc1.weight and fc2.weight: instead their learning rates are set before every step");
Console.WriteLine("    so that lr/||W||^2 follows run (b) (head.weight keeps its decay: it does not feed a BatchNorm)");
var netD = new Net(new Norm1(), new Norm2(), InitSeed);
var fc1Group = new ParameterGroup([netD.Fc1.Weight], weightDecay: 0);
var fc2Group = new ParameterGroup([netD.Fc2.Weight], weightDecay: 0);
var headGroup = new ParameterGroup([netD.Head.Weight], weightDecay: Decay);
var restGroup = new ParameterGroup(netD.Parameters().Where(p => p != netD.Fc1.Weight && p != netD.Fc2.Weight && p != netD.Head.Weight), weightDecay: 0);
runs.Add(trainer.Fit("(d)", "head only; fc1/fc2 lr from (b)", netD, new Sgd([fc1Group, fc2Group, headGroup, restGroup], Lr, Momentum), step =>
{
    double w1 = Trainer.Norm(netD.Fc1.Weight), w2 = Trainer.Norm(netD.Fc2.Weight);
    fc1Group.Lr = effectiveLr1[step] * w1 * w1;
    fc2Group.Lr = effectiveLr2[step] * w2 * w2;
}));

Section("Summary: test loss and accuracy averaged over the last 5 epochs (eval mode); arrows: before training -> after");
Console.WriteLine($"  run  {"weight decay on",-34}  {"test loss",9}  {"test acc",8}  {"||W1||",14}  {"lr/||W1||^2",18}  {"||W2||",14}  {"lr/||W2||^2",18}  {"gamma",5}");
foreach (Run run in runs)
{
    EpochStats end = run.Epochs[^1];
    IEnumerable<EpochStats> last = run.Epochs.TakeLast(5);
    Console.WriteLine(
        $"  {run.Key}  {run.Title,-34}  {last.Average(e => e.TestLoss),9:0.0000}  {100 * last.Average(e => e.TestAccuracy),7:0.0}%  "
        + $"{run.Start.W1,5:0.00} -> {end.W1,5:0.00}  {run.Start.EffectiveLr1:0.0e+00} -> {end.EffectiveLr1:0.0e+00}  "
        + $"{run.Start.W2,5:0.00} -> {end.W2,5:0.00}  {run.Start.EffectiveLr2:0.0e+00} -> {end.EffectiveLr2:0.0e+00}  {end.Gamma,5:0.000}");
}

// (d) against (b), with (a) against (b) as the yardstick: how far apart are the runs in the second half of training?
var (lossDB, testDB) = MeanRelativeDifference(runs[3], runs[1]);
var (lossAB, testAB) = MeanRelativeDifference(runs[0], runs[1]);
Console.WriteLine();
Console.WriteLine($"Epochs {Epochs / 2 + 1}-{Epochs}, mean relative difference of the epoch loss / test loss: (d) vs (b) {lossDB:0.0%} / {testDB:0.0%};"
    + $" (a) vs (b) {lossAB:0.0%} / {testAB:0.0%}.");
Console.WriteLine($"(d) trains like (b) although its ||W1||, ||W2|| end {runs[3].Epochs[^1].W1 / runs[1].Epochs[^1].W1:0.0}x and {runs[3].Epochs[^1].W2 / runs[1].Epochs[^1].W2:0.0}x larger:"
    + " decay on a weight feeding a BatchNorm acts only through lr/||W||^2.");

return 0;

static (double Loss, double TestLoss) MeanRelativeDifference(Run run, Run reference)
{
    var pairs = run.Epochs.Zip(reference.Epochs).Skip(run.Epochs.Count / 2).ToArray();
    return (pairs.Average(p => Math.Abs(p.First.Loss / p.Second.Loss - 1)), pairs.Average(p => Math.Abs(p.First.TestLoss / p.Second.TestLoss - 1)));
}

static void Section(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

// Gives BatchNorm's gamma and beta non-default values so that the gradient check exercises them away from 1 and 0.
static void RandomizeAffine(Net net, int seed)
{
    var random = new Random(seed);
    foreach (INormLayer norm in new[] { net.Norm1, net.Norm2 })
    {
        Span<float> gamma = norm.Weight.DataSpan, beta = norm.Bias.DataSpan;
        for (int i = 0; i < gamma.Length; i++)
        {
            gamma[i] = (float)(0.5 + random.NextDouble());
            beta[i] = (float)(random.NextDouble() - 0.5);
        }
    }
}

static void PrintGroups(Net net, ParameterGroup[] groups)
{
    var names = new Dictionary<Parameter, string>(ReferenceEqualityComparer.Instance);
    foreach (var (name, parameter) in net.NamedParameters())
    {
        names.Add(parameter, name);
    }

    foreach (ParameterGroup group in groups)
    {
        Console.WriteLine($"    weight decay {group.WeightDecay,-6}: {string.Join(", ", group.Parameters.Select(p => names[p]))}");
    }
}

static void ScaleInvariance(Dataset data, int seed)
{
    const int n = 256;
    float[] x = new float[n * Net.Inputs];
    int[] y = new int[n];
    data.Gather(Enumerable.Range(0, n).ToArray(), x, y);
    ScaleResult real = ScaleBy10(new Net(new Norm1(), new Norm2(), seed), x, y);
    ScaleResult exact = ScaleBy10(new Net(new Norm1NoEps(), new Norm2NoEps(), seed), x, y);

    static void Row(string label, string real, string exact) => Console.WriteLine($"{label,-24}  {real,-24}  {exact}");
    Row("", $"BatchNorm eps = {Norm1.Eps:0e+0}", "BatchNorm eps = 0 (same weights)");
    Row("||W1||", $"{real.Norm:0.000} -> {10 * real.Norm:0.000}", $"{exact.Norm:0.000} -> {10 * exact.Norm:0.000}");
    Row("loss", $"{real.Loss:0.000000} -> {real.Loss10:0.000000}", $"{exact.Loss:0.000000} -> {exact.Loss10:0.000000}");
    Row($"logits: max |change|", $"{real.LogitChange:0.0e+00}", $"{exact.LogitChange:0.0e+00}   (largest |logit| {real.MaxLogit:0.000})");
    Row("||dL/dW1||", $"{real.Grad:0.000000} -> {real.Grad10:0.000000}", $"{exact.Grad:0.000000} -> {exact.Grad10:0.000000}");
    Row("ratio of the gradients", $"{real.Grad / real.Grad10:0.0000}", $"{exact.Grad / exact.Grad10:0.0000}");
    Row("cos(dL/dW1, W1)", $"{real.Cosine:0.0e+00}", $"{exact.Cosine:0.0e+00}");
    Console.WriteLine("Without eps the output is unchanged up to float rounding and the gradient is exactly 10x smaller; eps, added to");
    Console.WriteLine("the variance (var + eps becomes 100 var + eps), is the only departure. The gradient is orthogonal to W1, so without");
    Console.WriteLine("weight decay ||W1|| can only grow: a step dW along the gradient gives ||W1 + dW||^2 = ||W1||^2 + ||dW||^2.");
}

// Loss, logits and dL/dW1 of a batch, then the same with fc1.weight multiplied by 10 (BatchNorm in train mode).
static ScaleResult ScaleBy10(Net net, float[] x, int[] y)
{
    Span<float> w1 = net.Fc1.Weight.DataSpan;

    (float[] Logits, double Loss, float[] Grad) Evaluate()
    {
        net.ZeroGrad();
        float[] logits = net.Forward(x).ToArray();
        float[] gradLogits = new float[logits.Length];
        double loss = CrossEntropy.Compute(logits, y, Net.Classes, gradLogits, out _);
        net.Backward(gradLogits);
        return (logits, loss, net.Fc1.Weight.GradSpan.ToArray());
    }

    var (logits, loss, grad) = Evaluate();
    double norm = TensorPrimitives.Norm<float>(w1);
    double cosine = TensorPrimitives.Dot<float>(grad, w1) / (TensorPrimitives.Norm<float>(grad) * norm);
    TensorPrimitives.Multiply(w1, 10f, w1);
    var (logits10, loss10, grad10) = Evaluate();
    float[] difference = new float[logits.Length];
    TensorPrimitives.Subtract(logits10, logits, difference);
    return new ScaleResult(
        norm,
        loss,
        loss10,
        Math.Abs(TensorPrimitives.MaxMagnitude<float>(difference)),
        Math.Abs(TensorPrimitives.MaxMagnitude<float>(logits)),
        TensorPrimitives.Norm<float>(grad),
        TensorPrimitives.Norm<float>(grad10),
        cosine);
}

/// <summary>What multiplying fc1.weight by 10 did.</summary>
internal sealed record ScaleResult(double Norm, double Loss, double Loss10, double LogitChange, double MaxLogit, double Grad, double Grad10, double Cosine);
