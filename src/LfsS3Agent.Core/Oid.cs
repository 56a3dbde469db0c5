namespace LfsS3Agent.Core;

/// <summary>An LFS object id: the SHA-256 of the content, as 64 lowercase hex digits.</summary>
public readonly record struct Oid
{
    private Oid(string value) => Value = value;

    public string Value { get; }

    public static bool IsValid(string? text) =>
        text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static bool TryParse(string? text, out Oid oid)
    {
        oid = IsValid(text) ? new Oid(text!) : default;
        return oid.Value is not null;
    }

    public static Oid Parse(string text) =>
        TryParse(text, out var oid) ? oid : throw new FormatException($"\"{text}\" is not a SHA-256 OID (64 lowercase hex digits)");

    public override string ToString() => Value;
}
