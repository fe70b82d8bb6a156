using System.Diagnostics.CodeAnalysis;
using Berth.Oci.Errors;

namespace Berth.Registry.Results;

/// <summary>A registry operation's outcome: a value, or the spec error to send instead.</summary>
public readonly struct Result<T>
{
    private Result(T? value, RegistryError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public RegistryError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(RegistryError error) => new(default, error);
}
