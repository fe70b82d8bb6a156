namespace Berth.Storage.Tests;

/// <summary>The web UI's key ring: elements added once by name, read back by every instance on the database.</summary>
public abstract partial class MetadataStoreContract
{
    private static string KeyElement(string id) => $"<key id=\"{id}\" version=\"1\"><creationDate>2026-12-08T00:00:00Z</creationDate></key>";

    [Fact]
    public async Task KeyRing_ReadsBackEveryElementAdded_ExactlyAsAdded()
    {
        Assert.Empty(Store.ReadKeyRing());

        await Store.AddToKeyRingAsync("key-b", KeyElement("b"));
        await Store.AddToKeyRingAsync("key-a", KeyElement("a"));
        await Store.AddToKeyRingAsync("revocation-b", "<revocation version=\"1\"><key id=\"b\" /></revocation>");

        Assert.Equal([KeyElement("a"), KeyElement("b"), "<revocation version=\"1\"><key id=\"b\" /></revocation>"],
            Store.ReadKeyRing().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task KeyRing_AddingANameThatExists_NeitherFailsNorDuplicates_AndKeepsTheFirst()
    {
        await Store.AddToKeyRingAsync("key-1", KeyElement("1"));
        await Store.AddToKeyRingAsync("key-1", KeyElement("1"));
        await Store.AddToKeyRingAsync("key-1", KeyElement("other"));
        // Two instances adding the same element at once (replicas importing one copied key file).
        var other = OpenAnotherInstance();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? Store : other).AddToKeyRingAsync("key-2", KeyElement("2"))));

        Assert.Equal([KeyElement("1"), KeyElement("2")], Store.ReadKeyRing().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task KeyRing_IsShared_ByTwoInstancesOnOneDatabase()
    {
        var other = OpenAnotherInstance();

        await Store.AddToKeyRingAsync("key-first", KeyElement("first"));
        Assert.Equal([KeyElement("first")], other.ReadKeyRing());
        await other.AddToKeyRingAsync("key-second", KeyElement("second"));

        Assert.Equal([KeyElement("first"), KeyElement("second")], Store.ReadKeyRing().Order(StringComparer.Ordinal));
        Assert.Equal(Store.ReadKeyRing().Order(StringComparer.Ordinal), other.ReadKeyRing().Order(StringComparer.Ordinal));
    }
}
