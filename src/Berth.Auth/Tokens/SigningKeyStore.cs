using System.Globalization;
using System.Security.Cryptography;

namespace Berth.Auth.Tokens;

/// <summary>What <see cref="SigningKeyStore.Rotate"/> did: the new key's id, and the ids of the keys it retired at <see cref="RetiredAt"/>.</summary>
public sealed record KeyRotation(string NewKeyId, string Algorithm, IReadOnlyList<string> RetiredKeyIds, DateTimeOffset RetiredAt);

/// <summary>
/// The built-in token service's private key: generated on first start and kept in the data folder, so
/// tokens stay valid across restarts. The file is created readable by its owner only, written completely
/// and fsynced before it takes its name, so a crash never leaves a half key that would be read later.
/// </summary>
/// <remarks>
/// Rotation replaces the private key and keeps the old key's public half, named with the time it was retired,
/// for as long as a token it signed can still be valid (<see cref="KeepRetiredFor"/>). Only the public half is
/// kept: a retired key verifies, it never signs again.
/// </remarks>
public static class SigningKeyStore
{
    private const string SigningPrefix = "token-signing-key-";
    private const string RetiredPrefix = "token-retired-key-";
    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string PathFor(string directory, string algorithm) =>
        Path.Combine(directory, $"{SigningPrefix}{algorithm.ToLowerInvariant()}.pem");

    /// <summary>
    /// How long a retired key must keep verifying: a token signed just before the rotation lives for the longer of
    /// the access and refresh lifetimes, and the validator allows the clock skew on top.
    /// </summary>
    public static TimeSpan KeepRetiredFor(AuthOptions options) =>
        (options.TokenLifetime > options.RefreshTokenLifetime ? options.TokenLifetime : options.RefreshTokenLifetime) + options.ClockSkew;

    public static TokenKey LoadOrCreate(string directory, string algorithm)
    {
        CheckAlgorithm(algorithm);
        var path = PathFor(directory, algorithm);
        if (File.Exists(path)) return Read(path, algorithm);

        using (var key = Generate(algorithm)) WriteNew(path, key.ExportPrivateKeyPem(), overwrite: false);
        return Read(path, algorithm);
    }

    /// <summary>
    /// Retires every signing key of the folder (whatever its algorithm) and puts a new <paramref name="algorithm"/>
    /// key in its place. The retired public key is written before the new private key replaces the old one, so a
    /// crash in between leaves the old key both current and retired, which is harmless, and never loses it.
    /// A server already running keeps signing with the key it loaded until it is restarted.
    /// </summary>
    /// <param name="algorithm">Null: the algorithm of the current key (ES256 when there is none).</param>
    public static KeyRotation Rotate(string directory, string? algorithm, TimeProvider time)
    {
        if (algorithm is not null) CheckAlgorithm(algorithm);
        Directory.CreateDirectory(directory);
        var now = time.GetUtcNow();
        var retired = new List<string>();
        var current = Directory.GetFiles(directory, SigningPrefix + "*.pem");
        foreach (var path in current)
        {
            using var old = TokenKeyFiles.ReadPrivatePem(File.ReadAllText(path), path);
            algorithm ??= old.Algorithm;
            var retiredPath = Path.Combine(directory,
                $"{RetiredPrefix}{now.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture)}-{old.KeyId}.pem");
            WriteNew(retiredPath, old.ExportPublicKeyPem(), overwrite: true);
            retired.Add(old.KeyId);
        }
        algorithm ??= TokenKey.ES256;
        using var key = Generate(algorithm);
        var signingPath = PathFor(directory, algorithm);
        WriteNew(signingPath, key.ExportPrivateKeyPem(), overwrite: true);
        // A key of another algorithm was retired above; left in place it would become current again if the
        // configured algorithm were switched back.
        foreach (var path in current.Where(p => p != signingPath)) File.Delete(path);
        return new KeyRotation(key.KeyId, algorithm, retired, now);
    }

    /// <summary>
    /// The retired public keys that may still have signed a valid token, each verifying only until its end
    /// (<see cref="TokenKey.VerifiesUntil"/>). Keys past their end are deleted: every token they signed has expired.
    /// </summary>
    public static IReadOnlyList<TokenKey> LoadRetired(string directory, TimeSpan keepFor, TimeProvider time)
    {
        if (!Directory.Exists(directory)) return [];
        var now = time.GetUtcNow();
        var keys = new List<TokenKey>();
        foreach (var path in Directory.GetFiles(directory, RetiredPrefix + "*.pem").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var stamp = name.Length > RetiredPrefix.Length + 16 ? name.Substring(RetiredPrefix.Length, 16) : "";
            if (!DateTimeOffset.TryParseExact(stamp, StampFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var retiredAt))
            {
                throw new InvalidDataException($"{path}: a retired key's file name must start with {RetiredPrefix}<{StampFormat}>");
            }
            var until = retiredAt + keepFor;
            if (now > until)
            {
                TryDelete(path);
                continue;
            }
            foreach (var key in TokenKeyFiles.ReadPublicPem(File.ReadAllText(path), path))
            {
                key.VerifiesUntil = until;
                keys.Add(key);
            }
        }
        return keys;
    }

    private static void CheckAlgorithm(string algorithm)
    {
        if (algorithm is not (TokenKey.ES256 or TokenKey.RS256))
        {
            throw new InvalidDataException($"token algorithm must be {TokenKey.ES256} or {TokenKey.RS256}, not '{algorithm}'");
        }
    }

    /// <summary>Owner-only, complete and on disk before it takes its name (write to a temporary name, fsync, rename).</summary>
    private static void WriteNew(string path, string pem, bool overwrite)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(pem);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temporary, path, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            // Another process started on the same folder at the same moment and won; use its key.
            File.Delete(temporary);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The key is not used either way; a read-only folder only means the file stays.
        }
    }

    private static TokenKey Generate(string algorithm) => algorithm == TokenKey.ES256
        ? TokenKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), isPrivate: true)
        : TokenKey.FromRsa(RSA.Create(3072), isPrivate: true);

    private static TokenKey Read(string path, string algorithm)
    {
        var key = TokenKeyFiles.ReadPrivatePem(File.ReadAllText(path), path);
        if (key.Algorithm != algorithm)
        {
            key.Dispose();
            throw new InvalidDataException($"{path} holds a key for {key.Algorithm}, not {algorithm}");
        }
        return key;
    }
}
