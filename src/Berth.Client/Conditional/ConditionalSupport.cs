namespace Berth.Client.Conditional;

/// <summary>Whether a registry honours If-Match / If-None-Match on manifest writes.</summary>
public enum ConditionalSupport
{
    /// <summary>Not determined yet.</summary>
    Unknown,

    /// <summary>The registry sends <c>OCI-Distribution-RFC7232: yes</c> (conditional-requests §5.3).</summary>
    Announced,

    /// <summary>
    /// No signal, but a PUT by digest of an existing manifest with <c>If-None-Match: *</c> got 412
    /// (the non-destructive probe of conditional-requests §5.4).
    /// </summary>
    Probed,

    /// <summary>The probe's conditional PUT succeeded: preconditions are ignored, writes may race.</summary>
    NotSupported,
}

public static class ConditionalSupportExtensions
{
    public static bool IsGuaranteed(this ConditionalSupport support) =>
        support is ConditionalSupport.Announced or ConditionalSupport.Probed;

    public static string Describe(this ConditionalSupport support) => support switch
    {
        ConditionalSupport.Announced => "announced with OCI-Distribution-RFC7232",
        ConditionalSupport.Probed => "detected by a conditional probe",
        ConditionalSupport.NotSupported => "If-Match/If-None-Match are ignored",
        _ => "support unknown",
    };
}

/// <summary>What to do when the registry cannot guarantee a conditional write.</summary>
public enum UnprotectedWritePolicy
{
    /// <summary>Write nothing and throw <see cref="Errors.UnprotectedWriteException"/>.</summary>
    Refuse,

    /// <summary>Write anyway, read back to check, and report the result as unprotected.</summary>
    Proceed,
}
