using System.Collections.Concurrent;
using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace AutoHeal.Dapr.Tests.Fakes;

#pragma warning disable DAPR_CRYPTOGRAPHY, DAPR_DISTRIBUTEDLOCK // overridden only to throw

/// <summary>
/// A Dapr state store in memory, behind the real <see cref="DaprClient"/> surface: values are kept as the
/// JSON the sidecar would store (serialized with the client's options), each key has an ETag that
/// changes on every write, <see cref="TrySaveStateAsync{TValue}"/> with a stale ETag returns false (the
/// SDK's answer to the sidecar's ETag mismatch), and a first-write-wins save without an ETag on a key
/// that exists fails as the Redis store does (the SDK throws <see cref="DaprException"/>). One instance
/// shared by several clients of the code under test is one state store shared by several processes.
/// Everything else throws <see cref="NotSupportedException"/>.
/// </summary>
public sealed class InMemoryDaprClient(JsonSerializerOptions json) : DaprClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Store, string Key), (byte[] Json, string ETag)> _items = [];
    private long _version;

    /// <summary>Every write that was stored, in order: store, key, ETag given (null when none).</summary>
    public ConcurrentQueue<(string Store, string Key, string? ETag)> Writes { get; } = new();

    /// <summary>Writes refused (stale ETag, or first write of a key that exists).</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    /// <summary>
    /// Runs once, right after the next write is stored and before its call returns (then clears itself):
    /// lets a test put another process's write in that window.
    /// </summary>
    public Func<string, Task>? AfterNextWrite
    {
        get => Volatile.Read(ref _afterNextWrite);
        set => Volatile.Write(ref _afterNextWrite, value);
    }

    private Func<string, Task>? _afterNextWrite;

    /// <inheritdoc />
    public override JsonSerializerOptions JsonSerializerOptions => json;

    /// <summary>Every event published, in order: pub/sub component, topic, the data as JSON, the metadata.</summary>
    public ConcurrentQueue<(string PubSub, string Topic, string Json, IReadOnlyDictionary<string, string> Metadata)> Published { get; } = new();

    /// <summary>The stored JSON of a key, or null.</summary>
    public string? Raw(string storeName, string key)
    {
        lock (_lock)
        {
            return _items.TryGetValue((storeName, key), out var item) ? System.Text.Encoding.UTF8.GetString(item.Json) : null;
        }
    }

    /// <summary>The current ETag of a key, or null.</summary>
    public string? ETagOf(string storeName, string key)
    {
        lock (_lock)
        {
            return _items.TryGetValue((storeName, key), out var item) ? item.ETag : null;
        }
    }

    /// <inheritdoc />
    public override Task<(TValue value, string etag)> GetStateAndETagAsync<TValue>(string storeName, string key, ConsistencyMode? consistencyMode = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // As the sidecar answers for a missing key: no data, and an empty ETag.
            return Task.FromResult(_items.TryGetValue((storeName, key), out var item)
                ? (JsonSerializer.Deserialize<TValue>(item.Json, json)!, item.ETag)
                : (default(TValue)!, ""));
        }
    }

    /// <inheritdoc />
    public override async Task SaveStateAsync<TValue>(string storeName, string key, TValue value, StateOptions? stateOptions = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (stateOptions?.Concurrency == ConcurrencyMode.FirstWrite && _items.ContainsKey((storeName, key)))
            {
                // Redis refuses a first-write save without an ETag once the key exists; with no ETag in the
                // request that is not an ETag error, so the SDK wraps the sidecar's error in a DaprException.
                Interlocked.Increment(ref _refused);
                throw new DaprException(
                    "State operation failed: the Dapr endpoint indicated a failure. See InnerException for details.",
                    new RpcException(new Status(StatusCode.Internal, $"failed saving state in state store {storeName}: failed to set key {key}")));
            }

            Store(storeName, key, value, null);
        }

        await AfterWriteAsync(key);
    }

    /// <inheritdoc />
    public override async Task<bool> TrySaveStateAsync<TValue>(string storeName, string key, TValue value, string etag, StateOptions? stateOptions = null, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(etag); // as the SDK
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_items.TryGetValue((storeName, key), out var item) || item.ETag != etag)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }

            Store(storeName, key, value, etag);
        }

        await AfterWriteAsync(key);
        return true;
    }

    private async Task AfterWriteAsync(string key)
    {
        if (Interlocked.Exchange(ref _afterNextWrite, null) is { } hook)
        {
            await hook(key);
        }
    }

    private void Store<TValue>(string storeName, string key, TValue value, string? etag)
    {
        var version = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _items[(storeName, key)] = (JsonSerializer.SerializeToUtf8Bytes(value, json), version);
        Writes.Enqueue((storeName, key, etag));
    }

    private static NotSupportedException NotSupported([System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        new($"InMemoryDaprClient does not fake DaprClient.{member}");

#nullable disable
    public override Task<BulkPublishResponse<TValue>> BulkPublishEventAsync<TValue>(string pubsubName, string topicName, IReadOnlyList<TValue> events, Dictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) => throw NotSupported();

    public override Task<bool> CheckOutboundHealthAsync(CancellationToken cancellationToken) => throw NotSupported();

    public override HttpClient CreateInvokableHttpClient(string appId) => throw NotSupported();

    public override HttpRequestMessage CreateInvokeMethodRequest(HttpMethod httpMethod, string appId, string methodName) => throw NotSupported();

    public override HttpRequestMessage CreateInvokeMethodRequest(HttpMethod httpMethod, string appId, string methodName, IReadOnlyCollection<KeyValuePair<string, string>> queryStringParameters) => throw NotSupported();

    public override HttpRequestMessage CreateInvokeMethodRequest<TRequest>(HttpMethod httpMethod, string appId, string methodName, IReadOnlyCollection<KeyValuePair<string, string>> queryStringParameters, TRequest data) => throw NotSupported();

    public override Task<ReadOnlyMemory<byte>> DecryptAsync(string vaultResourceName, ReadOnlyMemory<byte> ciphertextBytes, string keyName, CancellationToken cancellationToken) => throw NotSupported();

    public override IAsyncEnumerable<ReadOnlyMemory<byte>> DecryptAsync(string vaultResourceName, Stream ciphertextStream, string keyName, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<ReadOnlyMemory<byte>> DecryptAsync(string vaultResourceName, ReadOnlyMemory<byte> ciphertextBytes, string keyName, DecryptionOptions options, CancellationToken cancellationToken) => throw NotSupported();

    public override IAsyncEnumerable<ReadOnlyMemory<byte>> DecryptAsync(string vaultResourceName, Stream ciphertextStream, string keyName, DecryptionOptions options, CancellationToken cancellationToken) => throw NotSupported();

    public override Task DeleteBulkStateAsync(string storeName, IReadOnlyList<BulkDeleteStateItem> items, CancellationToken cancellationToken) => throw NotSupported();

    public override Task DeleteStateAsync(string storeName, string key, StateOptions stateOptions, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<ReadOnlyMemory<byte>> EncryptAsync(string vaultResourceName, ReadOnlyMemory<byte> plaintextBytes, string keyName, EncryptionOptions encryptionOptions, CancellationToken cancellationToken) => throw NotSupported();

    public override IAsyncEnumerable<ReadOnlyMemory<byte>> EncryptAsync(string vaultResourceName, Stream plaintextStream, string keyName, EncryptionOptions encryptionOptions, CancellationToken cancellationToken) => throw NotSupported();

    public override Task ExecuteStateTransactionAsync(string storeName, IReadOnlyList<StateTransactionRequest> operations, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<Dictionary<string, Dictionary<string, string>>> GetBulkSecretAsync(string storeName, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<IReadOnlyList<BulkStateItem>> GetBulkStateAsync(string storeName, IReadOnlyList<string> keys, int? parallelism, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<IReadOnlyList<BulkStateItem<TValue>>> GetBulkStateAsync<TValue>(string storeName, IReadOnlyList<string> keys, int? parallelism, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<(ReadOnlyMemory<byte>, string etag)> GetByteStateAndETagAsync(string storeName, string key, ConsistencyMode? consistencyMode, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<ReadOnlyMemory<byte>> GetByteStateAsync(string storeName, string key, ConsistencyMode? consistencyMode, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<GetConfigurationResponse> GetConfiguration(string storeName, IReadOnlyList<string> keys, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<DaprMetadata> GetMetadataAsync(CancellationToken cancellationToken) => throw NotSupported();

    public override Task<Dictionary<string, string>> GetSecretAsync(string storeName, string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<TValue> GetStateAsync<TValue>(string storeName, string key, ConsistencyMode? consistencyMode, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<BindingResponse> InvokeBindingAsync(BindingRequest request, CancellationToken cancellationToken) => throw NotSupported();

    public override Task InvokeBindingAsync<TRequest>(string bindingName, string operation, TRequest data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<TResponse> InvokeBindingAsync<TRequest, TResponse>(string bindingName, string operation, TRequest data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task InvokeMethodAsync(HttpRequestMessage request, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task<TResponse> InvokeMethodAsync<TResponse>(HttpRequestMessage request, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task InvokeMethodGrpcAsync(string appId, string methodName, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task<TResponse> InvokeMethodGrpcAsync<TResponse>(string appId, string methodName, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task InvokeMethodGrpcAsync<TRequest>(string appId, string methodName, TRequest data, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task<TResponse> InvokeMethodGrpcAsync<TRequest, TResponse>(string appId, string methodName, TRequest data, CancellationToken cancellationToken) => throw NotSupported();

    [Obsolete("Recommended guidance is to use a native HTTP or gRPC client for service invocation")]
    public override Task<HttpResponseMessage> InvokeMethodWithResponseAsync(HttpRequestMessage request, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<TryLockResponse> Lock(string storeName, string resourceId, string lockOwner, int expiryInSeconds, CancellationToken cancellationToken) => throw NotSupported();

    public override Task PublishByteEventAsync(string pubsubName, string topicName, ReadOnlyMemory<byte> data, string dataContentType, Dictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task PublishEventAsync(string pubsubName, string topicName, CancellationToken cancellationToken) => throw NotSupported();

    public override Task PublishEventAsync<TData>(string pubsubName, string topicName, TData data, CancellationToken cancellationToken) => throw NotSupported();

    public override Task PublishEventAsync(string pubsubName, string topicName, Dictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task PublishEventAsync<TData>(string pubsubName, string topicName, TData data, Dictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        Published.Enqueue((pubsubName, topicName, JsonSerializer.Serialize(data, json), metadata));
        return Task.CompletedTask;
    }

    public override Task<StateQueryResponse<TValue>> QueryStateAsync<TValue>(string storeName, string jsonQuery, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task SaveBulkStateAsync<TValue>(string storeName, IReadOnlyList<SaveStateItem<TValue>> items, CancellationToken cancellationToken) => throw NotSupported();

    public override Task SaveByteStateAsync(string storeName, string key, ReadOnlyMemory<byte> binaryValue, StateOptions stateOptions, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task SetMetadataAsync(string attributeName, string attributeValue, CancellationToken cancellationToken) => throw NotSupported();

    public override Task ShutdownSidecarAsync(CancellationToken cancellationToken) => throw NotSupported();

    public override Task<SubscribeConfigurationResponse> SubscribeConfiguration(string storeName, IReadOnlyList<string> keys, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<bool> TryDeleteStateAsync(string storeName, string key, string etag, StateOptions stateOptions = null, IReadOnlyDictionary<string, string> metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(etag); // as the SDK
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // As the state store: deleted only at the ETag the caller read.
            return Task.FromResult(_items.TryGetValue((storeName, key), out var item) && item.ETag == etag && _items.Remove((storeName, key)));
        }
    }

    public override Task<bool> TrySaveByteStateAsync(string storeName, string key, ReadOnlyMemory<byte> binaryValue, string etag, StateOptions stateOptions, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<UnlockResponse> Unlock(string storeName, string resourceId, string lockOwner, CancellationToken cancellationToken) => throw NotSupported();

    public override Task<UnsubscribeConfigurationResponse> UnsubscribeConfiguration(string storeName, string id, CancellationToken cancellationToken) => throw NotSupported();

    public override Task WaitForSidecarAsync(CancellationToken cancellationToken) => throw NotSupported();
#nullable restore
}
