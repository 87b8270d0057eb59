using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NormGen.Optim;

namespace NormGen.Runtime.Tests.Optim;

/// <summary>One group of a fixture: parameter indices and torch's per-group overrides.</summary>
internal sealed record OptimFixtureGroup(int[] Params, Dictionary<string, JsonElement> Options);

/// <summary>
/// A torch.optim reference run written by tests/fixtures/make_optim_fixtures.py: initial parameters, and for each
/// of the 10 steps the gradient given and the parameters after <c>optimizer.step()</c>. Every number is a float32
/// value widened to float64; parsing checks that it round-trips exactly.
/// </summary>
internal sealed class OptimFixture
{
    public required string Name { get; init; }

    /// <summary>"SGD" or "AdamW".</summary>
    public required string Optimizer { get; init; }

    /// <summary>The constructor's keyword arguments, by torch name.</summary>
    public required Dictionary<string, JsonElement> Options { get; init; }

    /// <summary>Null: one group of all parameters.</summary>
    public required OptimFixtureGroup[]? Groups { get; init; }

    public required int[][] Shapes { get; init; }

    public required float[][] Initial { get; init; }

    /// <summary>[step][parameter] gradient given at the step.</summary>
    public required float[][][] Grads { get; init; }

    /// <summary>[step][parameter] values after the step.</summary>
    public required float[][][] Params { get; init; }

    /// <summary>The case names (file optim_&lt;name&gt;.json), from the fixture script's CASES.</summary>
    public static readonly string[] Cases =
    [
        "sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_dampening", "sgd_weight_decay", "sgd_combined",
        "sgd_combined_dampening", "sgd_groups",
        "adamw_default", "adamw_amsgrad", "adamw_no_decay", "adamw_groups", "adamw_custom",
    ];

    /// <summary>
    /// The fixture folder: fixtures/optim next to the test assembly if the project copies it there, else
    /// tests/fixtures/optim found by walking up from the test assembly (it lives in a subfolder so that the layer
    /// parity test, which owns tests/fixtures/*.json, does not report it as a stale layer fixture).
    /// </summary>
    public static string Directory()
    {
        string copied = Path.Combine(AppContext.BaseDirectory, "fixtures", "optim");
        if (System.IO.Directory.Exists(copied))
        {
            return copied;
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "optim");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No optimizer fixtures in {copied} or in tests/fixtures/optim above {AppContext.BaseDirectory}. Run /usr/bin/python3 tests/fixtures/make_optim_fixtures.py.");
    }

    public static OptimFixture Load(string name)
    {
        string path = Path.Combine(Directory(), $"optim_{name}.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = doc.RootElement;
        JsonElement groups = root.GetProperty("groups");
        JsonElement[] steps = root.GetProperty("steps").EnumerateArray().ToArray();
        return new OptimFixture
        {
            Name = root.GetProperty("name").GetString()!,
            Optimizer = root.GetProperty("optimizer").GetString()!,
            Options = Dictionary(root.GetProperty("options")),
            Groups = groups.ValueKind == JsonValueKind.Null
                ? null
                : groups.EnumerateArray()
                    .Select(g => new OptimFixtureGroup(
                        g.GetProperty("params").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                        Dictionary(g.GetProperty("options"))))
                    .ToArray(),
            Shapes = root.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray(),
            Initial = Tensors(root.GetProperty("initial"), path),
            Grads = steps.Select(s => Tensors(s.GetProperty("grads"), path)).ToArray(),
            Params = steps.Select(s => Tensors(s.GetProperty("params"), path)).ToArray(),
        };
    }

    /// <summary>Fresh parameters holding the initial values; all with <c>WeightDecay</c> true (unused by the optimizers).</summary>
    public Parameter[] CreateParameters()
    {
        var result = new Parameter[Shapes.Length];
        for (int i = 0; i < Shapes.Length; i++)
        {
            result[i] = new Parameter(Shapes[i], weightDecay: true);
            Initial[i].CopyTo(result[i].DataSpan);
        }

        return result;
    }

    /// <summary>The optimizer the fixture describes, built through the plain-list constructor when there are no groups.</summary>
    public NormGen.Optim.Optimizer CreateOptimizer(Parameter[] parameters)
    {
        double D(string key, double fallback) => Options.TryGetValue(key, out JsonElement e) ? e.GetDouble() : fallback;
        bool B(string key) => Options.TryGetValue(key, out JsonElement e) && e.GetBoolean();
        double[] betas = Options.TryGetValue("betas", out JsonElement b) ? b.EnumerateArray().Select(e => e.GetDouble()).ToArray() : [0.9, 0.999];

        ParameterGroup[]? groups = Groups?.Select(g => CreateGroup(g, parameters)).ToArray();
        return Optimizer switch
        {
            "SGD" => groups is null
                ? new Sgd(parameters, D("lr", double.NaN), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov"))
                : new Sgd(groups, D("lr", double.NaN), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov")),
            "AdamW" => groups is null
                ? new AdamW(parameters, D("lr", 1e-3), betas[0], betas[1], D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad"))
                : new AdamW(groups, D("lr", 1e-3), betas[0], betas[1], D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad")),
            _ => throw new InvalidDataException($"{Name}: unknown optimizer '{Optimizer}'."),
        };
    }

    private ParameterGroup CreateGroup(OptimFixtureGroup spec, Parameter[] parameters)
    {
        var group = new ParameterGroup(spec.Params.Select(i => parameters[i]));
        foreach ((string key, JsonElement value) in spec.Options)
        {
            switch (key)
            {
                case "lr": group.Lr = value.GetDouble(); break;
                case "weight_decay": group.WeightDecay = value.GetDouble(); break;
                case "momentum": group.Momentum = value.GetDouble(); break;
                case "dampening": group.Dampening = value.GetDouble(); break;
                case "nesterov": group.Nesterov = value.GetBoolean(); break;
                case "eps": group.Eps = value.GetDouble(); break;
                case "amsgrad": group.Amsgrad = value.GetBoolean(); break;
                case "betas":
                    group.Beta1 = value[0].GetDouble();
                    group.Beta2 = value[1].GetDouble();
                    break;
                default: throw new InvalidDataException($"{Name}: unknown group option '{key}'.");
            }
        }

        return group;
    }

    private static Dictionary<string, JsonElement> Dictionary(JsonElement obj)
        => obj.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);

    private static float[][] Tensors(JsonElement list, string path)
        => list.EnumerateArray().Select(t => Floats(t, path)).ToArray();

    private static float[] Floats(JsonElement array, string path)
    {
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray())
        {
            double d = e.GetDouble();
            float f = (float)d;
            if ((double)f != d)
            {
                throw new InvalidDataException($"{path}: {d:R} is not exactly a float32 value.");
            }

            result[i++] = f;
        }

        return result;
    }
}
