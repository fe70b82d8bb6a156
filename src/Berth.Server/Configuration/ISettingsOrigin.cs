namespace Berth.Server.Configuration;

/// <summary>A configuration layer that can say where one of its keys was written, for error messages.</summary>
public interface ISettingsOrigin
{
    /// <summary>e.g. "BERTH_AUTH__TOKEN_LIFETIME" or "--listen"; null when the key is not this layer's.</summary>
    string? Describe(string key);
}
