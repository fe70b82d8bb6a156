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
        string[]? cmd = null, string? created = null, string[]? env = null)
    {
        var config = new JsonObject
        {
            ["created"] = created ?? "2026-01-01T00:00:00Z",
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray((env ?? ["PATH=/bin"]).Select(e => (JsonNode)e!).ToArray()),
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

    /// <summary>The user id that <see cref="DotnetRuntimeImage"/> names "app" (that of Microsoft's .NET images).</summary>
    public const int AppUid = 1654;

    /// <summary>
    /// An image that can run a framework-dependent ASP.NET Core app, built offline from this machine: busybox,
    /// then the running .NET host with its Microsoft.NETCore.App and Microsoft.AspNetCore.App of the test's own
    /// runtime version, and the shared libraries they link (found with <c>ldd</c>) plus the OpenSSL that
    /// System.Security.Cryptography loads at run time. No ICU: the image asks for invariant globalization.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static Image DotnetRuntimeImage(OciLayout layout, string? refName = null)
    {
        var dotnetRoot = DotnetRoot();
        var version = Environment.Version.ToString(3);
        var frameworks = new[] { "Microsoft.NETCore.App", "Microsoft.AspNetCore.App" }
            .Select(name => Path.Combine(dotnetRoot, "shared", name, version))
            .ToList();
        foreach (var framework in frameworks.Where(f => !Directory.Exists(f)))
        {
            throw new ToolMissingException($"{framework} is missing: the .NET runtime image is built from the running SDK's shared frameworks");
        }
        var fxr = Directory.EnumerateDirectories(Path.Combine(dotnetRoot, "host", "fxr")).Max(StringComparer.Ordinal)!;
        var dotnetFiles = new List<string> { Path.Combine(dotnetRoot, "dotnet") };
        foreach (var folder in frameworks.Append(fxr)) dotnetFiles.AddRange(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));

        var libraries = new SortedSet<string>(StringComparer.Ordinal);
        var openSsl = new[] { "libssl.so.3", "libcrypto.so.3" }
            .Select(name => Path.Combine("/lib/x86_64-linux-gnu", name)).Where(File.Exists).ToList();
        foreach (var binary in dotnetFiles.Where(f => f.EndsWith(".so", StringComparison.Ordinal) || f == dotnetFiles[0]).Concat(openSsl))
        {
            libraries.UnionWith(LinkedLibraries(binary));
        }
        libraries.UnionWith(openSsl);
        // The runtime's libraries link each other; they are in the image already, and a layer may not hold a path twice.
        libraries.RemoveWhere(library => library.StartsWith(dotnetRoot + "/", StringComparison.Ordinal));

        var runtime = WriteLayer(layout, tar =>
        {
            var directories = new HashSet<string>(StringComparer.Ordinal);
            void Parents(string entry)
            {
                var parent = Path.GetDirectoryName(entry.TrimEnd('/'));
                if (string.IsNullOrEmpty(parent) || !directories.Add(parent)) return;
                Parents(parent);
                PaxDirectory(tar, parent + "/");
            }
            void Copy(string hostPath, string imagePath)
            {
                Parents(imagePath);
                var mode = File.GetUnixFileMode(hostPath);
                PaxFile(tar, imagePath, File.ReadAllBytes(hostPath), mode);
            }
            foreach (var file in dotnetFiles)
            {
                Copy(file, "usr/share/dotnet/" + Path.GetRelativePath(dotnetRoot, file));
            }
            foreach (var library in libraries)
            {
                // Copied under the name the loader asks for, whatever chain of symlinks leads there on the host.
                Copy(library, library.TrimStart('/'));
            }
            Parents("usr/bin/dotnet");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "usr/bin/dotnet") { LinkName = "../share/dotnet/dotnet", ModificationTime = Epoch });
            Parents("etc/passwd");
            PaxFile(tar, "etc/passwd", Encoding.UTF8.GetBytes($"root:x:0:0:root:/root:/bin/sh\napp:x:{AppUid}:{AppUid}:app:/home/app:/bin/sh\n"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            PaxFile(tar, "etc/group", Encoding.UTF8.GetBytes($"root:x:0:\napp:x:{AppUid}:\n"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Parents("home/app/");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "home/app/")
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                Uid = AppUid,
                Gid = AppUid,
                ModificationTime = Epoch,
            });
            // The runtime's diagnostics socket and Path.GetTempPath() need a writable /tmp, whoever the user is.
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tmp/")
            {
                Mode = (UnixFileMode)0b1_111_111_111,
                ModificationTime = Epoch,
            });
        }, CompressionLevel.Fastest);
        return BuildImage(layout, "amd64", [BusyboxLayer(layout, "dotnet runtime base"), runtime], refName, cmd: ["dotnet", "--info"], env:
        [
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "DOTNET_ROOT=/usr/share/dotnet",
            "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1",
            // The .NET SDK takes the image's user from APP_UID when a project sets no ContainerUser.
            $"APP_UID={AppUid}",
        ]);
    }

    /// <summary>The folder of the dotnet host that runs the tests (DOTNET_HOST_PATH, set by `dotnet test`, else the one on PATH).</summary>
    private static string DotnetRoot()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : ChildProcess.Require("dotnet", "the .NET SDK");
        var resolved = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
        return Path.GetDirectoryName(resolved)!;
    }

    /// <summary>The shared libraries <c>ldd</c> says <paramref name="binary"/> loads (the optional ones it cannot find left out).</summary>
    private static IEnumerable<string> LinkedLibraries(string binary)
    {
        var ldd = ChildProcess.Require("ldd", "libc-bin");
        var info = new System.Diagnostics.ProcessStartInfo(ldd, [binary]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var candidate = parts.Length >= 3 && parts[1] == "=>" ? parts[2] : parts[0];
            if (candidate.StartsWith('/') && File.Exists(candidate)) yield return candidate;
        }
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

    /// <summary>PAX entries: the shared frameworks' paths are longer than ustar's 100-byte names allow.</summary>
    private static void PaxDirectory(TarWriter tar, string name) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            ModificationTime = Epoch,
        });

    private static void PaxFile(TarWriter tar, string name, byte[] content, UnixFileMode mode)
    {
        using var data = new MemoryStream(content);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = mode, ModificationTime = Epoch });
    }

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
