using EdgeCloudVlm.Benchmarks;

if (args is ["plots", ..])
{
    return EdgeCloudVlm.Benchmarks.Plots.PlotCommand.Run(args);
}

return await BenchmarkCommand.RunAsync(args);
