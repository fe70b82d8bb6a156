using Berth.Storage.Configuration;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Berth.Storage.ObjectStores.S3;

/// <summary>
/// One S3 client bound to one bucket and key layout, shared by the blob store and the upload store
/// (which must be over the same bucket). Every call goes through <see cref="CallAsync{T}"/> so a failure
/// surfaces as <see cref="StorageUnavailableException"/> naming the bucket and step, never a credential.
/// </summary>
public sealed class S3Bucket : IDisposable
{
    public S3Bucket(S3StorageOptions options)
    {
        if (options.SegmentBytes < MinimumPartBytes || options.SegmentBytes > Array.MaxLength)
        {
            throw new ArgumentException($"S3 segment size must be between 5 MiB and 2 GiB (one in-memory buffer), not {options.SegmentBytes} bytes");
        }
        Options = options;
        Keys = new ObjectKeys(options.KeyPrefix);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // The SDK's default (since 3.7.400) adds a CRC32 trailer to streamed uploads and validates response
            // checksums; Ceph RGW 16 rejects the trailer with XAmzContentSHA256Mismatch. Berth verifies each
            // blob's digest itself, so checksums only when an operation requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = options.MaxErrorRetry,
            Timeout = options.RequestTimeout,
        };
        if (options.ServiceUrl is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl;
            // A custom endpoint says nothing about the region; SigV4 needs one explicitly (RGW accepts any).
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        Client = options.AccessKeyId is { } accessKey
            ? new AmazonS3Client(options.SessionToken is { } token
                ? new SessionAWSCredentials(accessKey, options.SecretAccessKey, token)
                : new BasicAWSCredentials(accessKey, options.SecretAccessKey), config)
            : new AmazonS3Client(config);
        Name = options.Bucket;
        _where = options.ServiceUrl is { } url ? $"S3 bucket '{Name}' at {new Uri(url).GetLeftPart(UriPartial.Authority)}" : $"S3 bucket '{Name}'";
    }

    /// <summary>S3's smallest part of a multipart upload, except the last.</summary>
    public const long MinimumPartBytes = 5L << 20;

    /// <summary>S3's most parts in one multipart upload.</summary>
    public const int MaximumParts = 10_000;

    /// <summary>S3's largest part, and the largest single CopyObject.</summary>
    public const long MaximumPartBytes = 5L << 30;

    private readonly string _where;

    public S3StorageOptions Options { get; }

    /// <summary>True unless a custom endpoint is plain http (test gateways).</summary>
    public bool UsesTls => Options.ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) != true;
    public IAmazonS3 Client { get; }
    public string Name { get; }
    public ObjectKeys Keys { get; }

    /// <summary>Creates the bucket if it is missing (a set-up step, not a request path).</summary>
    public async Task EnsureExistsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync("create bucket", () => Client.PutBucketAsync(new PutBucketRequest { BucketName = Name }, cancellationToken));
        }
        catch (StorageUnavailableException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "BucketAlreadyOwnedByYou" or "BucketAlreadyExists" })
        {
        }
    }

    /// <summary>Runs one S3 call; null when the object does not exist (404), a clean exception for anything else.</summary>
    public async Task<T?> CallOrNullAsync<T>(string step, Func<Task<T>> call) where T : class
    {
        try
        {
            return await CallAsync(step, call);
        }
        catch (StorageUnavailableException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
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
        catch (AmazonServiceException e)
        {
            throw new StorageUnavailableException($"{_where}: {step} failed: {(int)e.StatusCode} {e.ErrorCode}", e);
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException
                                       || (e is OperationCanceledException && e.InnerException is TimeoutException))
        {
            throw new StorageUnavailableException($"{_where}: {step} failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    public Task CallAsync(string step, Func<Task> call) => CallAsync(step, async () =>
    {
        await call();
        return true;
    });

    public void Dispose() => Client.Dispose();
}
