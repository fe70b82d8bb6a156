using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests.Support;

/// <summary>A compressed layer blob and its diff ID (the digest of the uncompressed tar).</summary>
public sealed record Layer(Descriptor Descriptor, string DiffId);

/// <summary>A built image: its manifest descriptor plus the config and layers it points to.</summary>
public sealed record Image(Descriptor Manifest, Descriptor Config, IReadOnlyList<Layer> Layers, string Architecture);

/// <summary>
/// Builds images offline into an <see cref="OciLayout"/>: there is no network and no base image to
/// start from, so the only file system content is Debian's statically linked busybox (package busybox-static)
/// plus small marker files, or random bytes for size tests.
/// </summary>
public static class Images
{
    public const string BusyboxPath = "/bin/busybox";

    /// <summary>
    /// A gzip layer holding /bin/busybox, /bin/sh and /bin/echo as links to it, and
    /// /etc/berth-image with <paramref name="marker"/> so that images built from different markers
    /// have different layers.
    /// </summary>
    public static Layer BusyboxLayer(OciLayout layout, string marker)
    {
        var busybox = RequireBusybox();
        return WriteLayer(layout, tar =>
        {
            AddDirectory(tar, "bin/");
            AddFile(tar, "bin/busybox", File.ReadAllBytes(busybox), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            foreach (var applet in new[] { "sh", "echo", "cat" })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", ModificationTime = Epoch });
            }
            AddDirectory(tar, "etc/");
            AddFile(tar, "etc/berth-image", Encoding.UTF8.GetBytes(marker + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite
                | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        });
    }

    /// <summary>A gzip layer holding one file of <paramref name="bytes"/> random bytes, streamed to disk.</summary>
    public static Layer RandomLayer(OciLayout layout, long bytes)
    {
        return WriteLayer(layout, tar =>
        {
            using var random = new RandomStream(bytes);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "random.bin")
            {
                DataStream = random,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                ModificationTime = Epoch,
            });
        }, CompressionLevel.Fastest);
    }

    /// <summary>An image manifest with an OCI config for linux/<paramref name="architecture"/>.</summary>
    public static Image BuildImage(OciLayout layout, string architecture, IReadOnlyList<Layer> layers, string? refName = null,
        string[]? cmd = null, string? created = null)
    {
        var config = new JsonObject
        {
            ["created"] = created ?? "2026-01-01T00:00:00Z",
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray("PATH=/bin"),
                ["Cmd"] = new JsonArray((cmd ?? ["/bin/sh"]).Select(c => (JsonNode)c!).ToArray()),
                ["WorkingDir"] = "/",
            },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)l.DiffId!).ToArray()),
            },
        };
        var configDescriptor = layout.WriteJson(config, MediaTypes.OciConfig);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = configDescriptor.ToJson(),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.Descriptor.ToJson()).ToArray()),
        };
        var manifestDescriptor = layout.WriteJson(manifest, MediaTypes.OciManifest);
        if (refName is not null) layout.Tag(manifestDescriptor, refName);
        return new Image(manifestDescriptor, configDescriptor, layers, architecture);
    }

    /// <summary>A busybox image for one architecture (the binary is the host's; only the metadata differs).</summary>
    public static Image BusyboxImage(OciLayout layout, string architecture, string? refName = null, string? marker = null) =>
        BuildImage(layout, architecture, [BusyboxLayer(layout, marker ?? $"{architecture} {Guid.NewGuid():N}")], refName);

    /// <summary>An OCI image index over <paramref name="images"/>, each with its linux platform.</summary>
    public static Descriptor BuildIndex(OciLayout layout, IReadOnlyList<Image> images, string? refName = null)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(images
                .Select(i => (JsonNode)i.Manifest.ToJson(platform: new JsonObject { ["architecture"] = i.Architecture, ["os"] = "linux" }))
                .ToArray()),
        };
        var descriptor = layout.WriteJson(index, MediaTypes.OciIndex);
        if (refName is not null) layout.Tag(descriptor, refName);
        return descriptor;
    }

    public static string RequireBusybox()
    {
        if (!File.Exists(BusyboxPath))
        {
            throw new ToolMissingException(
                $"{BusyboxPath} is missing: the interop tests build their images offline from Debian's statically linked busybox. "
                + $"Install it with: apt-get install -y --no-install-recommends busybox-static");
        }
        return BusyboxPath;
    }

    /// <summary>Writes a tar through gzip into the layout while hashing both, so nothing is held in memory.</summary>
    private static Layer WriteLayer(OciLayout layout, Action<TarWriter> write, CompressionLevel level = CompressionLevel.Optimal)
    {
        var temporary = Path.Combine(layout.Path, "blobs", "layer-" + Guid.NewGuid().ToString("N"));
        string diffId;
        using (var file = File.Create(temporary))
        {
            using var gzip = new GZipStream(file, level, leaveOpen: true);
            using var hashing = new Sha256Sink(gzip);
            using (var tar = new TarWriter(hashing, TarEntryFormat.Ustar, leaveOpen: true))
            {
                write(tar);
            }
            diffId = hashing.Digest();
        }
        return new Layer(layout.AdoptBlob(temporary, MediaTypes.OciLayerGzip), diffId);
    }

    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static void AddDirectory(TarWriter tar, string name) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            ModificationTime = Epoch,
        });

    private static void AddFile(TarWriter tar, string name, byte[] content, UnixFileMode mode)
    {
        using var data = new MemoryStream(content);
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = mode, ModificationTime = Epoch });
    }

    /// <summary>
    /// A read-only stream of <c>length</c> cryptographically random bytes. It reports itself seekable
    /// (but only "seeks" to where it is) because TarWriter reads Length and Position to size the entry.
    /// </summary>
    private sealed class RandomStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => length + offset,
            };
            return target == _position ? _position : throw new NotSupportedException("a random stream only reads forward");
        }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - _position);
            RandomNumberGenerator.Fill(buffer[..count]);
            _position += count;
            return count;
        }
    }
}
