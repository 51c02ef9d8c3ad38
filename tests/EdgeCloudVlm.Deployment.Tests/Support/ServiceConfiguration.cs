using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeCloudVlm.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>
/// What configuration one service binds: every options class in its assemblies (a type with a <c>SectionName</c>
/// constant, as the services bind them with <c>BindConfiguration(T.SectionName)</c>), plus the keys its
/// appsettings.json documents (Kestrel endpoints) and the standard <c>Logging</c> section. <see cref="Check"/> binds
/// settings the way the service will: with the real configuration binder, unknown keys as errors, then the classes'
/// data annotations.
/// </summary>
internal sealed partial class ServiceConfiguration
{
    /// <summary>Process settings that are not configuration keys, which images and manifests may set.</summary>
    private static readonly HashSet<string> ProcessVariables = new(StringComparer.Ordinal)
    {
        "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME",
        "TMPDIR", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "LD_LIBRARY_PATH",
    };

    private readonly Dictionary<string, List<Type>> _sections = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _documented = new(StringComparer.OrdinalIgnoreCase);

    private ServiceConfiguration(string name, string appsettings, params Assembly[] assemblies)
    {
        Name = name;
        foreach (Type type in assemblies.SelectMany(a => a.GetTypes()))
        {
            FieldInfo? field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
            if (field is { IsLiteral: true } && field.FieldType == typeof(string) && !type.IsAbstract)
            {
                string section = (string)field.GetRawConstantValue()!;
                if (!_sections.TryGetValue(section, out List<Type>? types))
                {
                    _sections[section] = types = [];
                }

                types.Add(type);
            }
        }

        AppSettings = Flatten(JsonDocument.Parse(File.ReadAllText(RepositoryPaths.InRepo(appsettings)),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement, "");
        foreach (string key in AppSettings.Keys)
        {
            _documented.Add(Pattern(key));
        }
    }

    public static ServiceConfiguration Cloud { get; } = new("cloud", "cloud/EdgeCloudVlm.Cloud/appsettings.json",
        Assembly.Load("EdgeCloudVlm.Cloud"), typeof(ServiceDefaultsExtensions).Assembly);

    public static ServiceConfiguration Edge { get; } = new("edge", "edge/EdgeCloudVlm.Edge/appsettings.json",
        Assembly.Load("ecv-edge"), typeof(ServiceDefaultsExtensions).Assembly);

    public static ServiceConfiguration For(string component) => component switch
    {
        "cloud" => Cloud,
        "edge" => Edge,
        _ => throw new ArgumentException($"no service '{component}'", nameof(component)),
    };

    public string Name { get; }

    /// <summary>Options sections found, e.g. <c>Engine</c>, <c>Auth:ClientCertificates</c>.</summary>
    public IReadOnlyCollection<string> Sections => _sections.Keys;

    /// <summary>Every leaf of the service's appsettings.json (colon form, array items by index).</summary>
    public IReadOnlyDictionary<string, string?> AppSettings { get; }

    /// <summary>
    /// Problems with the given settings (environment-variable form <c>A__B</c> or colon form; values may be compose
    /// interpolations <c>${VAR:-default}</c>): keys no options class binds and the service does not document, values
    /// the binder cannot convert, values the data annotations refuse. Empty when all is well.
    /// </summary>
    public List<string> Check(IReadOnlyDictionary<string, string?> settings)
    {
        var problems = new List<string>();
        foreach ((string name, string? raw) in settings)
        {
            if (ProcessVariables.Contains(name))
            {
                continue;
            }

            string key = name.Replace("__", ":", StringComparison.Ordinal);
            string? value = Interpolate(raw);
            string? section = _sections.Keys
                .Where(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase))
                .MaxBy(s => s.Length);
            if (section is null)
            {
                if (!key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase) && !_documented.Contains(Pattern(key)))
                {
                    problems.Add($"{name}: no options class of the {Name} service binds it, and its appsettings.json does not document it");
                }

                continue;
            }

            // One key at a time, so that each problem names its key; with several classes on one section, one
            // that takes the key is enough.
            var errors = new List<string>();
            foreach (Type type in _sections[section])
            {
                string? error = Bind(type, section, key, value == Manifests.RuntimeValue ? null : value);
                if (error is null)
                {
                    errors.Clear();
                    break;
                }

                errors.Add(error);
            }

            problems.AddRange(errors.Select(e => $"{name}: {e}"));
        }

        return problems;
    }

    private static string? Bind(Type type, string section, string key, string? value)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>(key, value ?? Placeholder(type, section, key))])
            .Build();
        object? options;
        try
        {
            options = configuration.GetSection(section).Get(type, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            return $"{type.Name} ({section}) does not bind it: {Flatten(ex)}";
        }

        if (options is null || value is null)
        {
            return null;
        }

        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return null;
        }

        // Only the annotations of the property this key sets: others may have required values the key does not give.
        string property = key[(section.Length + 1)..].Split(':')[0];
        List<string> own = [.. results.Where(r => r.MemberNames.Contains(property, StringComparer.OrdinalIgnoreCase)).Select(r => r.ErrorMessage ?? "invalid")];
        return own.Count == 0 ? null : $"{type.Name} refuses '{value}': {string.Join("; ", own)}";
    }

    /// <summary>A value the binder accepts for a key whose real value is known only at run time.</summary>
    private static string Placeholder(Type type, string section, string key)
    {
        string[] path = key[(section.Length + 1)..].Split(':');
        Type current = type;
        foreach (string part in path)
        {
            PropertyInfo? property = current.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return "";
            }

            current = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }

        return current == typeof(string) ? "runtime" : "";
    }

    private static string Flatten(Exception ex) =>
        ex.InnerException is null ? ex.Message : $"{ex.Message} {Flatten(ex.InnerException)}";

    /// <summary>Compose-style <c>${VAR:-default}</c> and <c>${VAR}</c> become the default (or nothing).</summary>
    private static string? Interpolate(string? value) =>
        value is null ? null : Interpolation().Replace(value, m => m.Groups["default"].Value);

    /// <summary>A key with array indices replaced by '#', so documented list items match any index.</summary>
    private static string Pattern(string key) => Index().Replace(key, ":#");

    private static Dictionary<string, string?> Flatten(JsonElement element, string prefix)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    foreach (var pair in Flatten(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}"))
                    {
                        result[pair.Key] = pair.Value;
                    }
                }

                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    foreach (var pair in Flatten(item, $"{prefix}:{index++}"))
                    {
                        result[pair.Key] = pair.Value;
                    }
                }

                break;
            case JsonValueKind.Null:
                result[prefix] = null;
                break;
            default:
                result[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                break;
        }

        return result;
    }

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*(:?-(?<default>[^}]*))?\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@":\d+(?=:|$)")]
    private static partial Regex Index();
}
