using EdgeCloudVlm.ModelTools.Commands;

return ModelToolsCommand.CreateRoot().Parse(args).Invoke();
