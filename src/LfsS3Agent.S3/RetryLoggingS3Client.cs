using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.S3;

/// <summary>
/// The S3 client with one more pipeline step just inside the SDK's retry handler, so every attempt after the first
/// is logged with what the previous one failed with. The SDK's own hook (no reflection, so it works under native AOT).
/// </summary>
internal sealed class RetryLoggingS3Client(AWSCredentials credentials, AmazonS3Config config, ILogger logger) : AmazonS3Client(credentials, config)
{
    // A field initializer runs before the base constructor, which builds the pipeline.
    private readonly ILogger _logger = logger;

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerAfter<RetryHandler>(new AttemptLogger(_logger ?? throw new InvalidOperationException("no logger yet"), Config.MaxErrorRetry));
    }

    /// <summary>Sees each attempt of a request; remembers a failed attempt's error until the retry it causes.</summary>
    private sealed class AttemptLogger(ILogger logger, int maxRetries) : PipelineHandler
    {
        private readonly ConditionalWeakTable<IRequestContext, Exception> _failed = [];

        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            var request = executionContext.RequestContext;
            if (request.Retries > 0)
            {
                var reason = _failed.TryGetValue(request, out var previous) ? previous.Message : "a failed attempt";
                StoreLog.Retry(logger, request.RequestName, request.Request?.Endpoint?.Host ?? "S3", request.Retries + 1, maxRetries + 1, reason);
            }

            try
            {
                return await base.InvokeAsync<T>(executionContext);
            }
            catch (Exception ex)
            {
                _failed.AddOrUpdate(request, ex);
                throw;
            }
        }
    }
}
