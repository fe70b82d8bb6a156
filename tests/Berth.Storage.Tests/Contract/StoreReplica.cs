using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Storage.Tests.Contract;

/// <summary>The blob and upload stores one replica of Berth would open; several replicas share the storage.</summary>
public sealed record StoreReplica(IBlobStore Blobs, IUploadStore Uploads, IDisposable? Owner = null) : IDisposable
{
    public void Dispose() => Owner?.Dispose();
}
