using System;
using System.Text;

namespace NormGen.Generator.Helpers;

/// <summary>
/// Writes C# source with 4-space indentation. Multi-line strings (raw string literals) are re-indented
/// line by line, and <see cref="Block"/> opens a brace scope that closes when disposed.
/// </summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Indent() => _indent++;

    public void Unindent()
    {
        if (_indent == 0)
        {
            throw new InvalidOperationException("Unbalanced indentation.");
        }

        _indent--;
    }

    /// <summary>Writes each line of <paramref name="text"/> at the current indentation.</summary>
    public IndentedWriter WriteLine(string text = "")
    {
        if (text.Length == 0)
        {
            _builder.Append('\n');
            return this;
        }

        foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0)
            {
                _builder.Append(' ', _indent * 4).Append(line);
            }

            _builder.Append('\n');
        }

        return this;
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Scope Block(string header, string closing = "}")
    {
        if (header.Length > 0)
        {
            WriteLine(header);
        }

        WriteLine("{");
        Indent();
        return new Scope(this, closing);
    }

    /// <summary>Removes blank lines at the end, so that a block never ends with one (the closing brace follows its last line).</summary>
    private void TrimBlankLines()
    {
        while (_builder.Length >= 2 && _builder[_builder.Length - 1] == '\n' && _builder[_builder.Length - 2] == '\n')
        {
            _builder.Length--;
        }
    }

    public override string ToString()
    {
        if (_indent != 0)
        {
            throw new InvalidOperationException("Unbalanced indentation at the end of the file.");
        }

        return _builder.ToString();
    }

    public readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter _writer;
        private readonly string _closing;

        public Scope(IndentedWriter writer, string closing)
        {
            _writer = writer;
            _closing = closing;
        }

        public void Dispose()
        {
            _writer.Unindent();
            _writer.TrimBlankLines();
            _writer.WriteLine(_closing);
        }
    }
}
