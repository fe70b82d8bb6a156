using Berth.Registry.Operations;

namespace Berth.Registry.Tests;

/// <summary>The sorted tag lists kept per repository, and pages cut from them by binary search.</summary>
public sealed class TagListCacheTests
{
    private static readonly string[] Tags = ["A", "a", "b", "latest", "v1", "v2"]; // ordinal order: upper case first

    [Fact]
    public void List_IsServedOnlyAtTheVersionItWasReadAt()
    {
        var cache = new TagListCache();
        Assert.Null(cache.Get("app", 1));

        cache.Put("app", 1, Tags);

        Assert.Same(Tags, cache.Get("app", 1)!.Tags);
        Assert.Null(cache.Get("app", 2)); // something changed since: read again
        Assert.Null(cache.Get("other", 1));
    }

    [Fact]
    public void Cache_StaysBounded()
    {
        var cache = new TagListCache();
        for (var i = 0; i < 256; i++) cache.Put($"repo{i}", 1, Tags);
        Assert.NotNull(cache.Get("repo0", 1));

        cache.Put("one-too-many", 1, Tags);

        Assert.Null(cache.Get("repo0", 1));
        Assert.NotNull(cache.Get("one-too-many", 1));
    }

    [Fact]
    public void FirstPage_StartsAtTheBeginning()
    {
        var page = TagListCache.Slice(Tags, last: null, limit: 2);
        Assert.Equal(["A", "a"], page.Items);
        Assert.True(page.HasMore);
    }

    [Theory]
    [InlineData("a", new[] { "b", "latest" }, true)] // after a tag that exists
    [InlineData("c", new[] { "latest", "v1" }, true)] // after a value between tags
    [InlineData("", new[] { "A", "a" }, true)] // empty last is no last
    [InlineData("v1", new[] { "v2" }, false)] // the rest is shorter than the limit
    [InlineData("v2", new string[0], false)] // after the last tag
    [InlineData("zzz", new string[0], false)]
    public void NextPage_StartsAfterLast(string last, string[] expected, bool hasMore)
    {
        var page = TagListCache.Slice(Tags, last, limit: 2);
        Assert.Equal(expected, page.Items);
        Assert.Equal(hasMore, page.HasMore);
    }

    [Fact]
    public void HugeLimit_DoesNotOverflow()
    {
        var page = TagListCache.Slice(Tags, "a", int.MaxValue);
        Assert.Equal(["b", "latest", "v1", "v2"], page.Items);
        Assert.False(page.HasMore);
    }
}
