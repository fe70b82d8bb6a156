using System.Security.Cryptography;
using System.Text;

namespace Berth.Benchmarks;

/// <summary>Fixed inputs shared by the benchmarks, built once.</summary>
internal static class Samples
{
    public static readonly string Sha256 = "sha256:" + Convert.ToHexStringLower(SHA256.HashData("layer"u8));
    public static readonly string Sha512 = "sha512:" + Convert.ToHexStringLower(SHA512.HashData("layer"u8));
    public static readonly string Config = "sha256:" + Convert.ToHexStringLower(SHA256.HashData("{}"u8));

    public static string LayerDigest(int i) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));

    /// <summary>An OCI image manifest with a config and <paramref name="layers"/> layers.</summary>
    public static byte[] ImageManifest(int layers)
    {
        var builder = new StringBuilder();
        builder.Append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",");
        builder.Append("\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"").Append(Config).Append("\",\"size\":1469},");
        builder.Append("\"layers\":[");
        for (var i = 0; i < layers; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"").Append(LayerDigest(i))
                .Append("\",\"size\":").Append(1_000_000 + i).Append('}');
        }
        builder.Append("],\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\",\"org.opencontainers.image.source\":\"https://example.com/app\"}}");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>An OCI image index of <paramref name="manifests"/> platform manifests.</summary>
    public static byte[] Index(int manifests)
    {
        var builder = new StringBuilder();
        builder.Append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
        for (var i = 0; i < manifests; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"").Append(LayerDigest(100 + i))
                .Append("\",\"size\":").Append(500 + i).Append(",\"platform\":{\"architecture\":\"arch").Append(i).Append("\",\"os\":\"linux\"}}");
        }
        builder.Append("]}");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }
}
