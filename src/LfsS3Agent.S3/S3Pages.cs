namespace LfsS3Agent.S3;

/// <summary>The one paginator: S3 listings come in pages of up to 1,000 entries, each naming where the next begins.</summary>
internal static class S3Pages
{
    /// <summary>
    /// Fetches pages until <paramref name="read"/> says there is no next one; <paramref name="read"/> adds a page's
    /// entries to the result and moves the request on to the next page (its markers or continuation token).
    /// </summary>
    public static async Task<List<T>> AllAsync<TResponse, T>(Func<Task<TResponse>> fetch, Func<TResponse, List<T>, bool> read)
    {
        var result = new List<T>();
        while (read(await fetch(), result))
        {
        }

        return result;
    }
}
