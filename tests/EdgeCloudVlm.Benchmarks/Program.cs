using EdgeCloudVlm.Benchmarks;

return await BenchmarkCommand.RunAsync(args);
