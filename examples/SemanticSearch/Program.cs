// SemanticSearch: an in-memory vector index over the IEmbeddingGenerator (Microsoft.Extensions.AI) of any encoder this
// library loads. Indexes a text collection in batches, then prints the nearest texts to each query with their cosine
// similarity; or measures retrieval quality on BANKING77 (nearest-neighbour intent accuracy, plain and SetFit-tuned).
// Usage:
//   dotnet run -c Release --project examples/SemanticSearch -- [--model minilm|arctic-xs|<dir>|<model.zip>] [--corpus f.tsv|f.txt]
//       [--top 5] [--limit N] ["query" ...]
//     corpus: a Label<TAB>Text .tsv with a header, or one text per line; default: the UCI sentences in data/sentiment-uci
//     (3,000 review sentences from yelp, amazon and imdb, shipped in the repository); --limit N indexes N texts spread over it.
//   dotnet run -c Release --project examples/SemanticSearch -- --evaluate banking77 [--models minilm,arctic-xs] [--setfit-pairs 2000] [--limit N]
//     writes semantic-search-banking77.md in the current folder; needs ../shared/data/banking77 (not redistributed).
using System.Diagnostics;
using MLNet.Transfer.AI;
using SemanticSearch;

string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
int? limit = Option("--limit") is { } l ? int.Parse(l) : null;

if (Option("--evaluate") is { } set)
{
    if (set != "banking77") throw new ArgumentException($"--evaluate: unknown data set '{set}' (known: banking77)");
    var clock = Stopwatch.StartNew();
    var evaluation = new Banking77Evaluation(setFitPairs: int.Parse(Option("--setfit-pairs") ?? "2000"), limit);
    var rows = await evaluation.RunAsync((Option("--models") ?? "minilm,arctic-xs").Split(','));
    string table = Banking77Evaluation.ToMarkdown(rows);
    Console.WriteLine($"\nBANKING77 test queries against the training texts ({rows[0].Queries:N0} queries, {rows[0].Indexed:N0} indexed texts):\n\n{table}");
    File.WriteAllText("semantic-search-banking77.md", table + "\n");
    Console.WriteLine($"\nTotal {clock.Elapsed.TotalMinutes:F1} min.");
    return;
}

// Search mode: every argument that is neither an option nor an option's value is a query.
string[] valued = ["--model", "--corpus", "--top", "--limit"];
var queries = args.Where((a, i) => !a.StartsWith("--") && (i == 0 || !valued.Contains(args[i - 1]))).ToList();
if (queries.Count == 0) queries = ["the battery died after a day", "friendly staff and great food", "a film with a boring plot"];
int top = int.Parse(Option("--top") ?? "5");

var corpus = (Option("--corpus") is { } file
    ? LabelledCorpus.Read(file)
    : LabelledCorpus.Concat(new[] { "yelp", "amazon", "imdb" }.Select(UciSite)))
    .Spread(limit);

// A UCI site's sentences, labelled "yelp +" (positive) or "yelp -" (negative).
static LabelledCorpus UciSite(string site)
{
    var sentences = LabelledCorpus.Read(DataFiles.Find(Path.Combine("data", "sentiment-uci", site + ".tsv")));
    return sentences with { Labels = [.. sentences.Labels.Select(l => $"{site} {(l == "1" ? '+' : '-')}")] };
}

using var generator = TransferEmbeddingGenerator.Load(Option("--model") ?? "minilm");
var index = new VectorIndex(generator);
var timer = Stopwatch.StartNew();
await index.AddAsync(corpus.Texts, new ImmediateProgress<int>(done => Console.WriteLine($"indexing {done:N0}/{corpus.Count:N0}")));
Console.WriteLine($"{index.Count:N0} texts indexed with {generator.Metadata.DefaultModelId} ({index.Dimensions} dimensions) in {timer.Elapsed.TotalSeconds:F1} s.");

foreach (string query in queries)
{
    Console.WriteLine($"\n{query}");
    foreach (var hit in await index.SearchAsync(query, top))
        Console.WriteLine($"  {hit.Score:F3}  [{corpus.Labels[hit.Id]}] {hit.Text}");
}
