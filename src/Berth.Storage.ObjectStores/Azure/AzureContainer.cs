using Berth.Storage.Configuration;
using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace Berth.Storage.ObjectStores.Azure;

/// <summary>
/// One Azure Blob container and key layout, shared by the blob store and the upload store. Every call
/// goes through <see cref="CallAsync{T}"/>, so failures surface as <see cref="StorageUnavailableException"/>
/// naming the container and step, never a key or SAS.
/// </summary>
public sealed class AzureContainer
{
    public AzureContainer(AzureStorageOptions options)
    {
        Options = options;
        Keys = new ObjectKeys(options.KeyPrefix);
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.Mode = RetryMode.Exponential;
        BlobServiceClient service;
        if (options.ConnectionString is { } connectionString)
        {
            service = new BlobServiceClient(connectionString, clientOptions);
        }
        else
        {
            var serviceUri = options.ServiceUri is { } uri ? new Uri(uri)
                : options.AccountName is { } account ? new Uri($"https://{account}.blob.core.windows.net")
                : throw new ArgumentException("Azure storage needs a connection string, a service URI or an account name");
            if (options.AccountKey is { } key)
            {
                var name = options.AccountName ?? serviceUri.Host.Split('.')[0];
                service = new BlobServiceClient(serviceUri, new StorageSharedKeyCredential(name, key), clientOptions);
            }
            else if (options.SasToken is { } sas)
            {
                service = new BlobServiceClient(serviceUri, new AzureSasCredential(sas.TrimStart('?')), clientOptions);
            }
            else
            {
                throw new ArgumentException("Azure storage needs an account key or a SAS token with a service URI");
            }
        }
        Client = service.GetBlobContainerClient(options.Container);
        _where = $"Azure container '{options.Container}' at {Client.Uri.GetLeftPart(UriPartial.Authority)}";
    }

    private readonly string _where;

    public AzureStorageOptions Options { get; }
    public BlobContainerClient Client { get; }
    public ObjectKeys Keys { get; }

    /// <summary>Creates the container if it is missing (a set-up step, not a request path).</summary>
    public Task EnsureExistsAsync(CancellationToken cancellationToken = default) =>
        CallAsync("create container", () => Client.CreateIfNotExistsAsync(cancellationToken: cancellationToken));

    /// <summary>Runs one call; null when the blob does not exist (404), a clean exception for anything else.</summary>
    public async Task<T?> CallOrNullAsync<T>(string step, Func<Task<T>> call) where T : class
    {
        try
        {
            return await CallAsync(step, call);
        }
        catch (StorageUnavailableException e) when (e.InnerException is RequestFailedException { Status: 404 })
        {
            return null;
        }
    }

    public async Task<T> CallAsync<T>(string step, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RequestFailedException e)
        {
            // RequestFailedException.Message repeats request headers; the status and error code are enough.
            throw new StorageUnavailableException($"{_where}: {step} failed: {e.Status} {e.ErrorCode}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or AggregateException
                                       || (e is OperationCanceledException && e.InnerException is TimeoutException))
        {
            throw new StorageUnavailableException($"{_where}: {step} failed: {e.GetType().Name}", e);
        }
    }
}
