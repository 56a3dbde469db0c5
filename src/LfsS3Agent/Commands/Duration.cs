using System.Globalization;
using System.Text.RegularExpressions;
using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Commands;

/// <summary>Durations on the command line: 90s, 30m, 1h, 7d, 2w, or combined (1h30m); a bare number is seconds.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^(?:(\d+)([smhdw]))+$|^(\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>
    /// A point in time given to --since or --until: a duration back from now (30d, 12h) or anything <c>git log --since</c>
    /// takes ("2026-11-01", "2 weeks ago", "yesterday"), read by git itself.
    /// </summary>
    public static async Task<DateTimeOffset> PointInTimeAsync(IGit git, string option, string text, CancellationToken cancellationToken)
    {
        if (Pattern().IsMatch(text.Trim()))
        {
            return DateTimeOffset.UtcNow - Parse(option, text);
        }

        return await git.ParseDateAsync(text, cancellationToken)
            ?? throw new UsageException($"--{option} \"{text}\" is not a time: use what `git log --since` takes (2026-11-01, \"2 weeks ago\", yesterday) or a duration back from now (12h, 30d)");
    }

    public static TimeSpan Parse(string option, string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new UsageException($"--{option} \"{text}\" is not a duration: use e.g. 90s, 30m, 12h, 7d");
        }

        if (match.Groups[3].Success)
        {
            return TimeSpan.FromSeconds(double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        }

        var total = TimeSpan.Zero;
        for (var i = 0; i < match.Groups[1].Captures.Count; i++)
        {
            var n = double.Parse(match.Groups[1].Captures[i].Value, CultureInfo.InvariantCulture);
            total += char.ToLowerInvariant(match.Groups[2].Captures[i].Value[0]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => TimeSpan.FromDays(7 * n),
            };
        }

        return total;
    }
}
