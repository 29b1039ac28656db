namespace ServerlessReco.Ingest;

/// <summary>RFC 4180 fields of one line: commas inside double quotes, doubled quotes as a literal quote.</summary>
public static class Csv
{
    public static bool TrySplit(string line, List<string> fields)
    {
        fields.Clear();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                    else quoted = false;
                }
                else current.Append(ch);
            }
            else if (ch == '"' && current.Length == 0) quoted = true;
            else if (ch == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }
        fields.Add(current.ToString());
        return !quoted;
    }
}
