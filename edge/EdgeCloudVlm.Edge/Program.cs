using EdgeCloudVlm.Edge.Cli;

return await EdgeCommand.CreateRoot().Parse(args).InvokeAsync(EdgeCommand.Invocation());
