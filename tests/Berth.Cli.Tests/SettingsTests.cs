using System.Collections;
using System.Text.RegularExpressions;
using Berth.Cli.Configuration;
using Berth.Server.Configuration;
using Berth.Storage.Configuration;
using Microsoft.Extensions.Logging;

namespace Berth.Cli.Tests;

/// <summary>The layers (file, BERTH_ variables, flags), the binding to the options records, and the messages of validation.</summary>
public sealed class SettingsTests
{
    [Fact]
    public void NestedVariables_ReachPoliciesAccessRulesAndLifetimes()
    {
        var options = BerthConfiguration.Resolve(null, [], new Hashtable
        {
            ["BERTH_POLICIES__0__REPOSITORIES"] = "prod/**",
            ["BERTH_POLICIES__0__IMMUTABLE_TAGS"] = "true",
            ["BERTH_AUTH__ACCESS__0__REPOSITORIES"] = "public/**",
            ["BERTH_AUTH__ACCESS__0__ANONYMOUS"] = "true",
            ["BERTH_AUTH__ACCESS__0__ACTIONS__0"] = "pull",
            ["BERTH_AUTH__GROUPS__ci_builders__0"] = "robot",
            ["BERTH_AUTH__TOKEN_LIFETIME"] = "00:15:00",
            ["BERTH_AUTH__REFRESHTOKENLIFETIME"] = "7.00:00:00",
            ["BERTH_MAX_CONCURRENT_UPLOADS"] = "64",
            ["BERTH_CLIENT_STALL_TIMEOUT"] = "00:00:30",
        });
        var policy = options.Registry.Policies.Single();
        Assert.Equal("prod/**", policy.Repositories);
        Assert.True(policy.ImmutableTags);
        var rule = options.Auth!.Access.Single();
        Assert.Equal(["pull"], rule.Actions);
        Assert.True(rule.Anonymous);
        // Dictionary keys are names, kept as written: only property names ignore underscores.
        Assert.Equal(["robot"], options.Auth.Groups["ci_builders"]);
        Assert.Equal(TimeSpan.FromMinutes(15), options.Auth.TokenLifetime);
        Assert.Equal(TimeSpan.FromDays(7), options.Auth.RefreshTokenLifetime);
        Assert.Equal(64, options.Registry.MaxConcurrentUploads);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ClientStallTimeout);
    }

    [Fact]
    public void Layers_FlagsOverVariablesOverFile_AndAliasesMeetCanonicalKeys()
    {
        using var file = new ConfigFile("""
            { "listen": "127.0.0.1:6000", "data": "/srv/file", "gcInterval": "01:00:00", "logLevel": "warning",
              "garbageCollectionGracePeriod": "00:30:00", "maxBlobBytes": 1000 }
            """);
        var options = BerthConfiguration.Resolve(file.Path,
            [new SettingFlag("--listen", "listen", "127.0.0.1:7000"), new SettingFlag("--data", "dataDirectory", null)],
            new Hashtable
            {
                ["BERTH_LISTEN"] = "127.0.0.1:6500",
                ["BERTH_DATA_DIRECTORY"] = "/srv/environment",
                ["BERTH_GC_GRACE_PERIOD"] = "00:45:00",
            });
        Assert.Equal("127.0.0.1:7000", options.Listen);
        Assert.Equal("/srv/environment", options.Registry.DataDirectory);
        Assert.Equal(TimeSpan.FromHours(1), options.GarbageCollectionInterval);
        Assert.Equal(TimeSpan.FromMinutes(45), options.Registry.GarbageCollectionGracePeriod);
        Assert.Equal(LogLevel.Warning, options.LogLevel);
        Assert.Equal(1000, options.Registry.MaxBlobBytes);
    }

    [Fact]
    public void CacheUpstreams_BindFromVariables_AndBadOnesAreRefusedNamingTheirVariables()
    {
        var options = BerthConfiguration.Resolve(null, [], new Hashtable
        {
            ["BERTH_CACHE__UPSTREAMS__0__PREFIX"] = "dockerhub",
            ["BERTH_CACHE__UPSTREAMS__0__URL"] = "https://registry-1.docker.io",
            ["BERTH_CACHE__UPSTREAMS__0__MIRROR_OF__0"] = "docker.io",
            ["BERTH_CACHE__UPSTREAMS__0__TTL"] = "00:10:00",
        });
        var upstream = options.Cache!.Upstreams.Single();
        Assert.Equal(("dockerhub", "https://registry-1.docker.io", TimeSpan.FromMinutes(10)), (upstream.Prefix, upstream.Url, upstream.Ttl));
        Assert.Equal(["docker.io"], upstream.MirrorOf);

        var error = Assert.Throws<InvalidSettingsException>(() => BerthConfiguration.Resolve(null, [], new Hashtable
        {
            ["BERTH_CACHE__UPSTREAMS__0__PREFIX"] = "Not A Name",
            ["BERTH_CACHE__UPSTREAMS__0__URL"] = "ftp://example.com",
            ["BERTH_CACHE__UPSTREAMS__0__USERNAME"] = "me",
        }));
        Assert.Contains(error.Problems, p => p.Contains("BERTH_CACHE__UPSTREAMS__0__PREFIX", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("BERTH_CACHE__UPSTREAMS__0__URL", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("BERTH_CACHE__UPSTREAMS__0__USERNAME", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigFileVariable_NamesTheFile()
    {
        using var file = new ConfigFile("""{ "listen": "127.0.0.1:6001" }""");
        var options = BerthConfiguration.Resolve(null, [], new Hashtable { ["BERTH_CONFIG"] = file.Path });
        Assert.Equal("127.0.0.1:6001", options.Listen);
    }

    [Fact]
    public void Problems_NameTheVariableKeyOrFlag_AllAtOnce()
    {
        using var file = new ConfigFile("""{ "auth": { "servce": "x" }, "rateLimits": { "global": { "requestsPerSecond": 0 } } }""");
        var error = Assert.Throws<InvalidSettingsException>(() => BerthConfiguration.Resolve(file.Path,
            [new SettingFlag("--log-level", "logLevel", "loud")],
            new Hashtable
            {
                ["BERTH_HTPASSWRD"] = "/run/htpasswd",
                ["BERTH_AUTH__TOKEN_LIFETIME"] = "five minutes",
                ["BERTH_METADATA__KIND"] = "mysql",
            }));
        Assert.Contains($"'auth:servce' in {file.Path}: no such setting", error.Problems);
        Assert.Contains("BERTH_HTPASSWRD: no such setting", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith("BERTH_AUTH__TOKEN_LIFETIME: must be a duration", StringComparison.Ordinal));
        Assert.Contains("BERTH_METADATA__KIND: must be one of sqlite, postgresql, not 'mysql'", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith("--log-level: must be one of trace,", StringComparison.Ordinal));
        Assert.Equal(5, error.Problems.Count);
    }

    [Fact]
    public void RecordRules_NameTheKeyAndItsVariable()
    {
        using var file = new ConfigFile("""{ "rateLimits": { "global": { "requestsPerSecond": 0 } }, "tls": { "certificate": "/c.pem" } }""");
        var error = Assert.Throws<InvalidSettingsException>(() => BerthConfiguration.Resolve(file.Path, [],
            new Hashtable { ["BERTH_METADATA__KIND"] = "postgresql", ["BERTH_LISTEN"] = "everywhere" }));
        Assert.Contains(error.Problems, p => p.StartsWith("BERTH_LISTEN: --listen must be HOST:PORT", StringComparison.Ordinal));
        Assert.Contains($"'rateLimits:global:requestsPerSecond' in {file.Path}: must be positive", error.Problems);
        Assert.Contains("tls:key (BERTH_TLS__KEY): tls needs a key file as well as a certificate", error.Problems);
        Assert.Contains("metadata:connectionString (BERTH_METADATA__CONNECTION_STRING): metadata kind postgresql needs a connection string", error.Problems);
        Assert.Equal(4, error.Problems.Count);
    }

    [Fact]
    public void Secrets_AreNeverQuoted()
    {
        const string password = "Password=hunter2-secret";
        var error = Assert.Throws<InvalidSettingsException>(() => BerthConfiguration.Resolve(null, [], new Hashtable
        {
            ["BERTH_METADATA__CONNECTION_STRING"] = password,
            ["BERTH_STORAGE__KIND"] = "s3",
            ["BERTH_STORAGE__S3__SECRET_ACCESS_KEY"] = "hunter2-secret",
        }));
        Assert.DoesNotContain("hunter2", error.Message);
        Assert.Contains("BERTH_METADATA__CONNECTION_STRING", error.Message);
        Assert.Contains("BERTH_STORAGE__S3__BUCKET", error.Message);

        var options = BerthConfiguration.Resolve(null, [], new Hashtable
        {
            ["BERTH_METADATA__KIND"] = "postgresql",
            ["BERTH_METADATA__CONNECTION_STRING"] = password,
            ["BERTH_STORAGE__KIND"] = "azure",
            ["BERTH_STORAGE__AZURE__CONTAINER"] = "blobs",
            ["BERTH_STORAGE__AZURE__CONNECTION_STRING"] = password,
        });
        Assert.Equal(MetadataStoreKind.PostgreSql, options.Registry.Metadata.Kind);
        Assert.Equal(password, options.Registry.Metadata.ConnectionString);
        Assert.Equal(BlobStoreKind.Azure, options.Registry.Storage.Kind);
        Assert.DoesNotContain("hunter2", options.ToString());
    }

    [Fact]
    public void EverySetting_HasAVariableThatReachesIt_AndTheReadmeDocumentsIt()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var settings = BerthSettings.Schema.AllSettings().ToList();
        Assert.NotEmpty(settings);
        var undocumented = new List<string>();
        foreach (var setting in settings)
        {
            var key = setting.Key.Replace("{n}", "0").Replace("{name}", "example");
            var variable = SettingsSchema.VariableFor(key);
            Assert.Equal(key, BerthSettings.Schema.Resolve(variable["BERTH_".Length..].Replace("__", ":"))?.Key, ignoreCase: true);
            var documented = SettingsSchema.VariableFor(setting.Key).Replace("{N}", "{n}").Replace("{NAME}", "{name}");
            if (!Regex.IsMatch(readme, $@"`{Regex.Escape(setting.Key)}`[^\n]*`{Regex.Escape(documented)}`")) undocumented.Add($"{setting.Key} ({documented})");
        }
        Assert.Empty(undocumented);
    }
}
