using EdgeCloudVlm.Cloud.Hosting;
using EdgeCloudVlm.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(CloudServiceExtensions.ServiceName, CloudServiceExtensions.ConfigureTelemetry);
builder.AddEdgeCloudVlmCloud();

var app = builder.Build();
app.MapServiceDefaults();
app.MapEdgeCloudVlmCloud();
app.Run();

/// <summary>Entry point; public so integration tests can host the service with <c>WebApplicationFactory</c>.</summary>
public partial class Program;
