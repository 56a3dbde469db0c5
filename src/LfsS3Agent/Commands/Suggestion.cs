namespace LfsS3Agent.Commands;

/// <summary>"Did you mean ...?" for a mistyped verb, the way git answers <c>git pussh</c>.</summary>
public static class Suggestion
{
    /// <summary>git's SIMILARITY_FLOOR: a candidate scoring below it is offered.</summary>
    private const int SimilarityFloor = 7;

    /// <summary>
    /// The closest candidates (several when they tie), or none: a candidate that starts with what was typed scores 0, the
    /// others git's weighted Damerau-Levenshtein distance (swap 0, substitution 2, insertion 1, deletion 3) plus 1.
    /// </summary>
    public static IReadOnlyList<string> Closest(string typed, IEnumerable<string> candidates)
    {
        var scored = candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Score: c.StartsWith(typed, StringComparison.Ordinal) && typed.Length > 0 ? 0 : Distance(typed, c, 0, 2, 1, 3) + 1))
            .ToList();
        if (scored.Count == 0)
        {
            return [];
        }

        var best = scored.Min(s => s.Score);
        return best < SimilarityFloor ? scored.Where(s => s.Score == best).Select(s => s.Name).ToList() : [];
    }

    /// <summary>git's levenshtein.c: the cost of turning <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Distance(string a, string b, int swap, int substitution, int insertion, int deletion)
    {
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j * insertion;
        }

        for (var i = 0; i < a.Length; i++)
        {
            current[0] = (i + 1) * deletion;
            for (var j = 0; j < b.Length; j++)
            {
                current[j + 1] = previous[j] + (a[i] != b[j] ? substitution : 0);
                if (i > 0 && j > 0 && a[i - 1] == b[j] && a[i] == b[j - 1])
                {
                    current[j + 1] = Math.Min(current[j + 1], before[j - 1] + swap);
                }

                current[j + 1] = Math.Min(current[j + 1], Math.Min(previous[j + 1] + deletion, current[j] + insertion));
            }

            (before, previous, current) = (previous, current, before);
        }

        return previous[b.Length];
    }
}
