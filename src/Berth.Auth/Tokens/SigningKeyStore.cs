using System.Security.Cryptography;

namespace Berth.Auth.Tokens;

/// <summary>
/// The built-in token service's private key: generated on first start and kept in the data folder, so
/// tokens stay valid across restarts. The file is created readable by its owner only, written completely
/// and fsynced before it takes its name, so a crash never leaves a half key that would be read later.
/// </summary>
public static class SigningKeyStore
{
    public static string PathFor(string directory, string algorithm) =>
        Path.Combine(directory, $"token-signing-key-{algorithm.ToLowerInvariant()}.pem");

    public static TokenKey LoadOrCreate(string directory, string algorithm)
    {
        if (algorithm is not (TokenKey.ES256 or TokenKey.RS256))
        {
            throw new InvalidDataException($"token algorithm must be {TokenKey.ES256} or {TokenKey.RS256}, not '{algorithm}'");
        }
        var path = PathFor(directory, algorithm);
        if (File.Exists(path)) return Read(path, algorithm);

        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = Generate(algorithm);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPrivateKeyPem());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process started on the same folder at the same moment and won; use its key.
            File.Delete(temporary);
        }
        return Read(path, algorithm);
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
