namespace LfsS3Agent.S3;

/// <summary>Content-Type by file extension, so browsers and CloudFront serve the readable keys properly.</summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = "application/pdf", [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif", [".webp"] = "image/webp", [".svg"] = "image/svg+xml", [".ico"] = "image/x-icon",
        [".tif"] = "image/tiff", [".tiff"] = "image/tiff", [".bmp"] = "image/bmp", [".psd"] = "image/vnd.adobe.photoshop",
        [".mp4"] = "video/mp4", [".mov"] = "video/quicktime", [".webm"] = "video/webm", [".mkv"] = "video/x-matroska",
        [".mp3"] = "audio/mpeg", [".wav"] = "audio/wav", [".ogg"] = "audio/ogg", [".flac"] = "audio/flac",
        [".zip"] = "application/zip", [".gz"] = "application/gzip", [".tar"] = "application/x-tar", [".7z"] = "application/x-7z-compressed",
        [".json"] = "application/json", [".xml"] = "application/xml", [".csv"] = "text/csv", [".txt"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8", [".html"] = "text/html; charset=utf-8", [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css", [".js"] = "text/javascript", [".wasm"] = "application/wasm", [".woff"] = "font/woff",
        [".woff2"] = "font/woff2", [".ttf"] = "font/ttf", [".otf"] = "font/otf", [".glb"] = "model/gltf-binary",
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    };

    public static string For(string key) =>
        ByExtension.TryGetValue(Path.GetExtension(key), out var type) ? type : "application/octet-stream";
}
