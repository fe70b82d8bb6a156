using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Client;
using Berth.Client.Auth;
using Berth.Client.References;

namespace Berth.Cli.Invocation;

/// <summary>A wrong argument: reported with exit code <see cref="Commands.ExitCodes.Usage"/>.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// What one client command invocation works with: where to write, in which format, and registry
/// clients created on demand (one per registry, disposed when the command ends).
/// </summary>
internal sealed class CliSession : IDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly Dictionary<string, RegistryClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _plainHttp;

    public CliSession(ParseResult parse, GlobalOptions options)
    {
        Out = parse.InvocationConfiguration.Output;
        Error = parse.InvocationConfiguration.Error;
        Format = parse.GetValue(options.Output);
        _plainHttp = parse.GetValue(options.PlainHttp);
        Credentials = DockerConfigCredentialStore.Default(parse.GetValue(options.DockerConfig));
        Progress = new TransferProgressDisplay(Format == OutputFormat.Text && ReferenceEquals(Out, Console.Out)
            && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb");
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public OutputFormat Format { get; }

    public DockerConfigCredentialStore Credentials { get; }

    public TransferProgressDisplay Progress { get; }

    public static ImageReference ParseReference(string text)
    {
        if (!ImageReference.TryParse(text, out var reference, out var why)) throw new UsageException($"'{text}': {why}");
        return reference!;
    }

    /// <summary>A reference that must name a tag or digest (for reads and writes of one manifest).</summary>
    public static ImageReference ParseManifestReference(string text)
    {
        var reference = ParseReference(text);
        if (reference.ManifestReference is null) throw new UsageException($"'{text}' needs a :tag or @digest");
        return reference;
    }

    public RegistryClient ClientFor(ImageReference reference) => ClientFor(reference.ApiHost);

    public RegistryClient ClientFor(string registry)
    {
        if (_clients.TryGetValue(registry, out var client)) return client;
        client = new RegistryClientBuilder(registry).WithCredentials(Credentials).AllowPlainHttp(_plainHttp).Build();
        _clients[registry] = client;
        return client;
    }

    public RepositoryClient RepositoryFor(ImageReference reference) => ClientFor(reference).Repository(reference.Repository);

    /// <summary>The result: as JSON (<paramref name="model"/>) or as lines of text.</summary>
    public async Task WriteResultAsync(object model, string text)
    {
        if (Format == OutputFormat.Json) await Out.WriteLineAsync(JsonSerializer.Serialize(model, Json));
        else if (text.Length > 0) await Out.WriteLineAsync(text);
    }

    /// <summary>A caution for people; in JSON mode it also belongs in the result object.</summary>
    public Task WarnAsync(string message) => Error.WriteLineAsync($"warning: {message}");

    public static string Serialize(object model) => JsonSerializer.Serialize(model, Json);

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }
}
