using System.Diagnostics;
using Berth.Auth.Users;

namespace Berth.Auth.Tests;

[Collection(TimingCollection.Name)]
public sealed class UserDirectoryTests
{
    private const string AbcHash = "$2y$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";

    [Fact]
    public void Htpasswd_ReadsBcryptEntries_SkippingCommentsAndBlankLines()
    {
        var entries = HtpasswdFile.Parse(new StringReader($"# users\n\nalice:{AbcHash}\n  bob:{AbcHash.Replace("$2y$", "$2b$")}  \n"), "test");
        Assert.Equal(["alice", "bob"], entries.Select(e => e.User));
    }

    [Theory]
    [InlineData("carol:$apr1$abcdefgh$0123456789012345678901", "line 2")]
    [InlineData("carol:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "line 2")]
    [InlineData("carol", "line 2")]
    [InlineData("alice:" + AbcHash, "appears twice")]
    public void Htpasswd_RefusesWhatItCannotHonour(string line, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => HtpasswdFile.Parse(new StringReader($"alice:{AbcHash}\n{line}\n"), "test"));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Directory_MergesHtpasswdAndConfiguredUsers_WithGroups()
    {
        var directory = new UserDirectory([("alice", AbcHash)],
            [new ConfiguredUser { Name = "bob", PasswordHash = AbcHash, Groups = ["ops"] }],
            new Dictionary<string, IReadOnlyList<string>> { ["devs"] = ["alice", "bob"] });
        Assert.Equal(["devs"], directory.Find("alice")!.Groups);
        Assert.Equal(["devs", "ops"], directory.Find("bob")!.Groups);
        Assert.NotNull(directory.Verify("bob", "abc"));
        Assert.Null(directory.Verify("bob", "abd"));
        Assert.Null(directory.Verify("nobody", "abc"));
    }

    [Fact]
    public void Directory_RefusesPlainPasswordsAndDuplicates()
    {
        Assert.Throws<InvalidDataException>(() => new UserDirectory([], [new ConfiguredUser { Name = "x", PasswordHash = "secret" }],
            new Dictionary<string, IReadOnlyList<string>>()));
        Assert.Throws<InvalidDataException>(() => new UserDirectory([("x", AbcHash)], [new ConfiguredUser { Name = "x", PasswordHash = AbcHash }],
            new Dictionary<string, IReadOnlyList<string>>()));
    }

    /// <summary>
    /// An unknown user name costs a full bcrypt computation, like a wrong password, so timing does not reveal
    /// which names exist. (The comparison itself is constant-time: CryptographicOperations.FixedTimeEquals.)
    /// </summary>
    [Fact]
    public void UnknownUser_TakesAsLongAsAWrongPassword()
    {
        var directory = new UserDirectory([("alice", BcryptPassword.Hash("right", cost: 8))], [], new Dictionary<string, IReadOnlyList<string>>());
        directory.Verify("nobody", "warm-up");
        var wrong = new List<TimeSpan>();
        var unknown = new List<TimeSpan>();
        // Interleaved, so a burst of load on the machine slows both kinds alike.
        for (var i = 0; i < 7; i++)
        {
            wrong.Add(Time(() => directory.Verify("alice", "wrong")));
            unknown.Add(Time(() => directory.Verify("nobody", "wrong")));
        }
        var (w, u) = (Median(wrong), Median(unknown));
        Assert.True(u > w / 2 && u < w * 2, $"wrong password {w.TotalMilliseconds} ms, unknown user {u.TotalMilliseconds} ms");
    }

    private static TimeSpan Time(Action action)
    {
        var started = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(started);
    }

    private static TimeSpan Median(List<TimeSpan> times)
    {
        times.Sort();
        return times[times.Count / 2];
    }
}

/// <summary>Timing measurements run alone, not beside other test classes competing for the CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
