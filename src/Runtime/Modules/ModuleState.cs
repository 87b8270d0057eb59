using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text;

namespace NormGen;

/// <summary>
/// What every module can do given its children: dotted enumeration, state dicts, gradients. Generated
/// <c>[Module]</c> classes forward to these; they work on any <see cref="IModule"/> as extension methods.
/// </summary>
public static class ModuleState
{
    /// <summary>All parameters of a module tree under dotted names (<c>stem.weight</c>), leaves in member order.</summary>
    public static NamedParameters CollectParameters(IModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var items = new List<(string, Parameter)>();
        Walk(module, "", (prefix, leaf) =>
        {
            foreach (var (name, parameter) in leaf.NamedParameters())
            {
                items.Add((prefix + name, parameter));
            }
        });
        return new NamedParameters(items.ToArray());
    }

    /// <summary>All buffers of a module tree under dotted names (<c>stem.running_mean</c>), leaves in member order.</summary>
    public static NamedBuffers CollectBuffers(IModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var items = new List<(string, IReadOnlyTensor)>();
        Walk(module, "", (prefix, leaf) =>
        {
            foreach (var (name, buffer) in leaf.NamedBuffers())
            {
                items.Add((prefix + name, buffer));
            }
        });
        return new NamedBuffers(items.ToArray());
    }

    /// <summary>The parameters of a module tree (<c>module.parameters()</c>).</summary>
    public static IEnumerable<Parameter> Parameters(this IModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        NamedParameters named = module.NamedParameters();
        var parameters = new Parameter[named.Count];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = named[i].Parameter;
        }

        return parameters;
    }

    /// <summary>Sets every gradient of a module tree to zero (<c>module.zero_grad()</c> with <c>set_to_none=False</c>).</summary>
    public static void ZeroGrad(this IModule module)
    {
        foreach (var (_, parameter) in module.NamedParameters())
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>
    /// PyTorch's <c>state_dict()</c>: for each leaf in member order, its parameters then its buffers, under dotted
    /// keys. The tensors share storage with the live parameters and buffers.
    /// </summary>
    public static OrderedDictionary<string, IReadOnlyTensor> StateDict(this IModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var dict = new OrderedDictionary<string, IReadOnlyTensor>(StringComparer.Ordinal);
        Walk(module, "", (prefix, leaf) =>
        {
            foreach (var (name, parameter) in leaf.NamedParameters())
            {
                dict.Add(prefix + name, parameter.Data);
            }

            foreach (var (name, buffer) in leaf.NamedBuffers())
            {
                dict.Add(prefix + name, buffer);
            }
        });
        return dict;
    }

    /// <summary>
    /// PyTorch's <c>load_state_dict(state_dict, strict)</c>: copies the values into the module's parameters and
    /// buffers. Missing and unexpected keys (when <paramref name="strict"/>) and shape or type mismatches (always) are
    /// all reported in one <see cref="ArgumentException"/>, and then nothing is changed.
    /// </summary>
    public static void LoadStateDict(this IModule module, IReadOnlyDictionary<string, IReadOnlyTensor> stateDict, bool strict = true, string? moduleName = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        OrderedDictionary<string, IReadOnlyTensor> own = module.StateDict();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var mismatches = new List<string>();
        foreach (var (key, target) in own)
        {
            if (!stateDict.TryGetValue(key, out IReadOnlyTensor? source))
            {
                missing.Add(key);
            }
            else if (!source.Lengths.SequenceEqual(target.Lengths))
            {
                mismatches.Add($"size mismatch for {key}: copying a param with shape {TensorExtensions.FormatShape(source.Lengths)} from checkpoint, the shape in current model is {TensorExtensions.FormatShape(target.Lengths)}.");
            }
            else if (source.GetType() != target.GetType())
            {
                mismatches.Add($"type mismatch for {key}: copying a {ElementName(source)} tensor from checkpoint, the tensor in current model holds {ElementName(target)}.");
            }
        }

        foreach (string key in stateDict.Keys)
        {
            if (!own.ContainsKey(key))
            {
                unexpected.Add(key);
            }
        }

        bool keysFail = strict && (missing.Count > 0 || unexpected.Count > 0);
        if (keysFail || mismatches.Count > 0)
        {
            var message = new StringBuilder($"Error(s) in loading state_dict for {moduleName ?? module.GetType().Name}:");
            if (strict && unexpected.Count > 0)
            {
                message.Append("\n\tUnexpected key(s) in state_dict: ").Append(Quoted(unexpected)).Append(". ");
            }

            if (strict && missing.Count > 0)
            {
                message.Append("\n\tMissing key(s) in state_dict: ").Append(Quoted(missing)).Append(". ");
            }

            foreach (string mismatch in mismatches)
            {
                message.Append("\n\t").Append(mismatch);
            }

            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }

        foreach (var (key, target) in own)
        {
            if (stateDict.TryGetValue(key, out IReadOnlyTensor? source))
            {
                Copy(source, target);
            }
        }
    }

    private static void Copy(IReadOnlyTensor source, IReadOnlyTensor target)
    {
        switch (target)
        {
            case Tensor<float> floats:
                ((IReadOnlyTensor<Tensor<float>, float>)source).FlattenTo(floats.AsSpan());
                break;
            case Tensor<long> longs:
                ((IReadOnlyTensor<Tensor<long>, long>)source).FlattenTo(longs.AsSpan());
                break;
            default:
                throw new NotSupportedException($"Loading a {target.GetType()} is not supported.");
        }
    }

    private static string ElementName(IReadOnlyTensor tensor) => tensor switch
    {
        Tensor<float> => "float32",
        Tensor<long> => "int64",
        _ => tensor.GetType().Name,
    };

    private static string Quoted(List<string> keys) => string.Join(", ", keys.ConvertAll(k => $"\"{k}\""));

    private static void Walk(IModule module, string prefix, Action<string, IModule> leaf)
    {
        IReadOnlyList<(string Name, IModule Module)> children = module.NamedChildren();
        if (children.Count == 0)
        {
            leaf(prefix, module);
            return;
        }

        foreach (var (name, child) in children)
        {
            Walk(child, prefix + name + ".", leaf);
        }
    }
}
