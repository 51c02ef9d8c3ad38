using EdgeCloudVlm.Cloud.Hosting;

var builder = WebApplication.CreateBuilder(args);
var app = builder.BuildEdgeCloudVlmCloud();
app.Run();

/// <summary>Entry point; public so integration tests can host the service with <c>WebApplicationFactory</c>.</summary>
public partial class Program;
