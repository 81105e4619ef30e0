using System.Text;

namespace MLNet.Transfer.Cli;

/// <summary>RFC 4180 records: fields split on a separator, a quoted field may hold separators, line breaks and "" for a quote.</summary>
public static class DelimitedRecords
{
    /// <summary>The records of <paramref name="reader"/>, each with the line it starts on (1-based).</summary>
    /// <exception cref="CliException">A quote is never closed, or text follows a closing quote (the message names file and line).</exception>
    public static IEnumerable<(int Line, string[] Fields)> Read(TextReader reader, char separator, string path)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool quoted = false, afterQuote = false, any = false;
        for (int c = reader.Read(); c >= 0; c = reader.Read())
        {
            char ch = (char)c;
            any = true;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else { quoted = false; afterQuote = true; }
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            if (ch == separator) { fields.Add(field.ToString()); field.Clear(); afterQuote = false; }
            else if (ch is '\n' or '\r')
            {
                if (ch == '\r' && reader.Peek() == '\n') reader.Read();
                fields.Add(field.ToString());
                yield return (recordLine, fields.ToArray());
                fields.Clear(); field.Clear();
                afterQuote = any = false;
                recordLine = ++line;
            }
            else if (afterQuote)
                throw new CliException($"{path} line {line}: text after a closing quote (a quote inside a quoted field is written \"\").");
            else if (ch == '"' && field.Length == 0) quoted = true;
            else field.Append(ch);
        }
        if (quoted) throw new CliException($"{path} line {recordLine}: a quoted field is never closed.");
        if (any)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields.ToArray());
        }
    }
}
