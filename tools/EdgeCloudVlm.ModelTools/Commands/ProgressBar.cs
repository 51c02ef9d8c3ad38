namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>A one-line text progress bar that redraws in place.</summary>
internal sealed class ProgressBar(TextWriter output)
{
    private const int Width = 30;
    private string _last = "";

    public void Draw(string step, int done, int total)
    {
        var fraction = total <= 0 ? 1.0 : Math.Clamp((double)done / total, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        // Redraw only when the bar or the step changes, so redirected output stays short.
        var line = $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {step}";
        if (line != _last)
        {
            output.Write(line.PadRight(Math.Max(line.Length, _last.Length)));
            _last = line;
        }
    }

    public void Finish(string message)
    {
        output.WriteLine(("\r" + message).PadRight(_last.Length));
        _last = "";
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
