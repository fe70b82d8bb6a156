using Berth.Oci.Preconditions;

namespace Berth.Oci.Tests.Preconditions;

/// <summary>
/// The strict If-Match / If-None-Match parser (RFC 9110 §8.8.3, §13.1.1-2, design doc §5.2 "Parsing").
/// Strictness is the point: a parser that dropped a bad item would turn a conditional write into an
/// unconditional one, so everything that is not a well-formed list must be rejected as a whole.
/// </summary>
public sealed class EntityTagListTests
{
    private const string Hex = "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
    private const string Digest = "sha256:" + Hex;

    private static EntityTagList Parse(params string?[] lines)
    {
        Assert.True(EntityTagList.TryParse(lines, out var list), $"expected [{string.Join(" | ", lines)}] to parse");
        return list!;
    }

    private static void Rejects(params string?[] lines)
    {
        Assert.False(EntityTagList.TryParse(lines, out var list), $"expected [{string.Join(" | ", lines)}] to be rejected");
        Assert.Null(list);
    }

    [Fact]
    public void SingleQuotedTag_IsStrong()
    {
        var list = Parse($"\"{Digest}\"");
        Assert.False(list.IsAny);
        Assert.Equal([new EntityTag(Digest, false)], list.Tags);
    }

    [Fact]
    public void CommaSeparatedList_KeepsEveryTagInOrder()
    {
        var list = Parse("\"a\", W/\"b\",\"c\"");
        Assert.Equal([new EntityTag("a", false), new EntityTag("b", true), new EntityTag("c", false)], list.Tags);
    }

    [Fact]
    public void SeveralFieldLines_AreCombinedIntoOneList()
    {
        // RFC 9110 §5.3: repeated field lines are one comma-separated list (design doc case 8).
        var list = Parse("\"a\"", "W/\"b\", \"c\"");
        Assert.Equal(["a", "b", "c"], list.Tags.Select(t => t.Opaque));
        Assert.True(list.Tags[1].IsWeak);
    }

    [Fact]
    public void NullFieldLines_AreSkipped()
    {
        var list = Parse(null, "\"a\"");
        Assert.Equal([new EntityTag("a", false)], list.Tags);
    }

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    [InlineData("\t*")]
    public void Star_IsAny(string value)
    {
        var list = Parse(value);
        Assert.True(list.IsAny);
        Assert.Empty(list.Tags);
        Assert.Same(EntityTagList.Any, list);
    }

    [Fact]
    public void StarOnTwoLines_IsStillAny()
    {
        Assert.True(Parse("*", "*").IsAny);
    }

    [Fact]
    public void WeakTag_IsMarkedWeak()
    {
        var tag = Assert.Single(Parse($"W/\"{Digest}\"").Tags);
        Assert.True(tag.IsWeak);
        Assert.Equal(Digest, tag.Opaque);
    }

    [Fact]
    public void BareSha256Digest_IsAcceptedAsIfQuoted()
    {
        // Design doc §5.2 and case 30: CNCF Distribution accepts unquoted digests and its proxy emits them.
        var tag = Assert.Single(Parse(Digest).Tags);
        Assert.Equal(new EntityTag(Digest, false), tag);
    }

    [Fact]
    public void BareSha512Digest_IsAcceptedAsIfQuoted()
    {
        var sha512 = "sha512:" + new string('0', 128);
        Assert.Equal(new EntityTag(sha512, false), Assert.Single(Parse(sha512).Tags));
    }

    [Fact]
    public void BareDigestMixedWithQuotedTags_IsAccepted()
    {
        var list = Parse($"\"x\", {Digest} , W/\"y\"");
        Assert.Equal(["x", Digest, "y"], list.Tags.Select(t => t.Opaque));
    }

    [Fact]
    public void EmptyQuotedTag_IsAValidTagThatMatchesNothingReal()
    {
        // Case 34: If-Match: "" is syntactically valid, so it is a 412 rather than a 400.
        Assert.Equal(new EntityTag("", false), Assert.Single(Parse("\"\"").Tags));
    }

    [Fact]
    public void EmptyListElements_AreTolerated()
    {
        // RFC 9110 §5.6.1: recipients accept and ignore empty list elements.
        Assert.Equal(["a", "b"], Parse(", \"a\" ,, \"b\",").Tags.Select(t => t.Opaque));
    }

    [Fact]
    public void ObsTextInsideQuotes_IsAllowed()
    {
        // etagc = %x21 / %x23-7E / obs-text
        Assert.Equal("caf\u00e9", Assert.Single(Parse("\"caf\u00e9\"").Tags).Opaque);
    }

    [Theory]
    [InlineData("\"" + Digest)] // unterminated quote (case 31)
    [InlineData("\"a\", \"b")]
    [InlineData("")] // empty value (case 32)
    [InlineData("   ")]
    [InlineData(",")]
    [InlineData(" , ,")]
    [InlineData("*, \"a\"")] // "*" mixed with tags (case 33)
    [InlineData("\"a\", *")]
    [InlineData("**")]
    [InlineData("*x")]
    [InlineData("garbage")] // garbage (case 19 is a read; on writes this must fail)
    [InlineData("sha256:abc")] // digest-shaped but not a valid digest
    [InlineData("sha256:" + Hex + "0")]
    [InlineData("sha256:A3ED95CAEB02FFE68CDD9FD84406680AE93D633CB16422D00E8A7C22955B46D4")] // upper-case hex is not canonical
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")] // unregistered algorithm
    [InlineData("W/a")] // W/ needs a quoted tag
    [InlineData("W/")]
    [InlineData("w/\"a\"")] // W/ is case-sensitive (%x57.2F)
    [InlineData("\"a\" \"b\"")] // missing comma
    [InlineData("\"a\"x")]
    [InlineData("\"a b\"")] // SP is not an etagc
    [InlineData("\"a\u007fb\"")] // DEL is not an etagc
    [InlineData("\"a\";q=1")]
    [InlineData("'a'")]
    public void MalformedValues_AreRejected(string value) => Rejects(value);

    [Fact]
    public void AMalformedSecondLine_RejectsTheWholeHeader()
    {
        // Dropping only the bad line would silently weaken the precondition.
        Rejects("\"a\"", "\"b");
        Rejects("\"a\"", "garbage");
        Rejects("*", "\"a\"");
    }

    [Fact]
    public void AnEmptyExtraLine_IsAnEmptyListElement()
    {
        // Combining the lines (§5.3) gives "\"a\", ", whose empty element §5.6.1 says to ignore; nothing is
        // dropped, so the condition is not weakened. A header made only of empty lines is still rejected.
        Assert.Equal(["a"], Parse("\"a\"", "").Tags.Select(t => t.Opaque));
        Rejects("", "");
    }

    [Fact]
    public void NoFieldLinesAtAll_IsRejected()
    {
        Rejects();
        Rejects((string?)null);
    }

    [Fact]
    public void ContainsStrong_NeedsBothSidesStrongAndIdentical()
    {
        var current = new EntityTag(Digest, false);
        Assert.True(Parse($"\"x\", \"{Digest}\"").ContainsStrong(current));
        Assert.False(Parse($"W/\"{Digest}\"").ContainsStrong(current));
        Assert.False(Parse($"\"{Digest}\"").ContainsStrong(new EntityTag(Digest, true)));
        Assert.False(Parse("\"x\"").ContainsStrong(current));
        Assert.False(Parse($"\"{Digest.ToUpperInvariant()}\"").ContainsStrong(current)); // octet comparison
    }

    [Fact]
    public void ContainsWeak_IgnoresTheWeakPrefix()
    {
        var current = new EntityTag(Digest, false);
        Assert.True(Parse($"W/\"{Digest}\"").ContainsWeak(current));
        Assert.True(Parse($"\"{Digest}\"").ContainsWeak(new EntityTag(Digest, true)));
        Assert.False(Parse("W/\"x\"").ContainsWeak(current));
    }

    [Fact]
    public void AnyList_ContainsNoTagItself()
    {
        // "*" is handled by the evaluator (it depends on existence), not by tag comparison.
        Assert.False(EntityTagList.Any.ContainsStrong(new EntityTag(Digest, false)));
        Assert.False(EntityTagList.Any.ContainsWeak(new EntityTag(Digest, false)));
    }

    [Fact]
    public void EntityTag_RendersQuotedAndWeakForms()
    {
        Assert.Equal($"\"{Digest}\"", new EntityTag(Digest, false).ToString());
        Assert.Equal($"W/\"{Digest}\"", new EntityTag(Digest, true).ToString());
        Assert.Equal($"\"{Digest}\"", EntityTag.ForDigest(Berth.Oci.Digests.Digest.Parse(Digest)).ToString());
    }
}
