using Berth.Oci.Digests;
using Berth.Oci.Names;

namespace Berth.Client.References;

/// <summary>
/// A reference as users type it: <c>host[:port]/name[:tag][@digest]</c>. The first path segment is a
/// registry host when it contains '.' or ':' or is "localhost" (the rule docker and the distribution
/// reference grammar use); otherwise the reference is on Docker Hub.
/// </summary>
public sealed record ImageReference
{
    public const string DockerHubHost = "docker.io";

    /// <summary>Docker Hub's API lives on a different host than the one users type.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    public required string Registry { get; init; }

    public required string Repository { get; init; }

    public string? Tag { get; init; }

    public Digest? Digest { get; init; }

    /// <summary>The digest when there is one (it pins the content), else the tag.</summary>
    public string? ManifestReference => Digest?.ToString() ?? Tag;

    /// <summary>The host HTTP requests go to.</summary>
    public string ApiHost => Registry == DockerHubHost ? DockerHubApiHost : Registry;

    public ImageReference WithTag(string tag) => this with { Tag = tag, Digest = null };

    public ImageReference WithDigest(Digest digest) => this with { Tag = null, Digest = digest };

    public override string ToString()
    {
        var text = $"{Registry}/{Repository}";
        if (Tag is not null) text += ":" + Tag;
        if (Digest is { } digest) text += "@" + digest;
        return text;
    }

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var why) ? reference! : throw new FormatException(why);

    public static bool TryParse(string text, out ImageReference? reference, out string? why)
    {
        reference = null;
        why = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            why = "the reference is empty";
            return false;
        }

        var rest = text.Trim();
        Digest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!Oci.Digests.Digest.TryParse(rest[(at + 1)..], out var parsed))
            {
                why = $"'{rest[(at + 1)..]}' is not a supported digest";
                return false;
            }
            digest = parsed;
            rest = rest[..at];
        }

        string registry;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? "" : rest[..slash];
        if (slash > 0 && (first.Contains('.') || first.Contains(':') || first == "localhost"))
        {
            registry = first;
            rest = rest[(slash + 1)..];
        }
        else
        {
            registry = DockerHubHost;
        }

        // A ':' after the last '/' separates the tag; earlier ones belonged to the host.
        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagName.IsValid(tag))
            {
                why = $"'{tag}' is not a valid tag";
                return false;
            }
        }

        if (registry == DockerHubHost && !rest.Contains('/')) rest = "library/" + rest;
        if (!RepositoryName.IsValid(rest))
        {
            why = $"'{rest}' is not a valid repository name";
            return false;
        }

        reference = new ImageReference { Registry = registry, Repository = rest, Tag = tag, Digest = digest };
        return true;
    }
}
