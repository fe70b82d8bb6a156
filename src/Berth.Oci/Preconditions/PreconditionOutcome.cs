namespace Berth.Oci.Preconditions;

public enum PreconditionOutcome
{
    /// <summary>Perform the method.</summary>
    Proceed,

    /// <summary>304: a GET/HEAD whose If-None-Match or If-Modified-Since says the client's copy is current.</summary>
    NotModified,

    /// <summary>412: do not perform the method.</summary>
    Failed,
}
