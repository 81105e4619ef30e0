namespace MLNet.Transfer.Onnx;

/// <summary>
/// Emits constrained Viterbi decoding of a linear-chain CRF as ONNX nodes, batched over rows of different lengths: the
/// arithmetic of <see cref="Models.Tagging.Viterbi.Decode"/> (forbidden starts and transitions score −∞, ties go to the
/// lowest tag index) in float32, as two Loop nodes — the forward pass keeping back-pointers, then the backtrack. Past a row's
/// last word the score is frozen and the back-pointers are the identity, so the backtrack carries the best final tag to the
/// row's last word; positions past a row's end repeat that tag. Unlike <see cref="Models.Tagging.Viterbi"/> it has no
/// unconstrained fallback for constraints that allow no path at all (impossible when some tag is not I-X).
/// </summary>
internal sealed class ViterbiOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly int _tags;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="tags">Number of tags.</param>
    public ViterbiOnnxGraph(OnnxGraphBuilder graph, int tags)
    {
        _g = graph;
        _tags = tags;
    }

    /// <summary>
    /// The best tag index per word, int64 [batch, words], of <paramref name="emissions"/> (float [batch, words, tags]) whose
    /// rows hold <paramref name="lengths"/> (int64 [batch, 1], each at least 1) real words.
    /// </summary>
    /// <param name="emissions">Emission scores.</param>
    /// <param name="lengths">Real words per row.</param>
    /// <param name="start">Start scores, float [tags].</param>
    /// <param name="end">End scores, float [tags].</param>
    /// <param name="transitions">Transition scores, float [from, to].</param>
    /// <param name="allowedStarts">Tags a row may start with.</param>
    /// <param name="allowedTransitions">allowed[from, to].</param>
    public string Decode(string emissions, string lengths, string start, string end, string transitions, bool[] allowedStarts, bool[,] allowedTransitions)
    {
        float Mask(bool allowed) => allowed ? 0f : float.NegativeInfinity;
        string startMask = _g.FloatConstant("viterbi_start_mask", allowedStarts.Select(Mask).ToArray(), [_tags]);
        string transitionMask = _g.FloatConstant("viterbi_transition_mask", allowedTransitions.Cast<bool>().Select(Mask).ToArray(), [_tags, _tags]);
        string allowed = _g.Op("Unsqueeze", _g.Op("Add", transitions, transitionMask), _g.Int64Constant("first_axis", [0])); // [1, from, to]
        string identity = _g.Int64Constant("viterbi_identity", [.. Enumerable.Range(0, _tags).Select(t => (long)t)]);          // back-pointer of an idle step
        string first = _g.Op("Gather", [emissions, _g.Int64Constant("zero", [0], scalar: true)], OnnxProto.IntAttribute("axis", 1));
        string score = _g.Op("Add", _g.Op("Add", start, startMask), first);                                                 // [batch, tags]

        // One trailing all-zero word that no row reaches: both loops then run `words` times (never zero times), and the
        // backtrack starts from a position whose back-pointers are the identity.
        string padded = _g.Op("Pad", emissions, _g.Int64Constant("viterbi_pad", [0, 0, 0, 0, 1, 0]));
        string words = _g.Op("Gather", _g.Op("Shape", emissions), _g.Int64Constant("one", [1], scalar: true));
        var forward = _g.Ops("Loop", [words, "", score], 2, OnnxProto.GraphAttribute("body", ForwardStep(padded, allowed, lengths, identity)));
        // forward[0]: final scores [batch, tags]; forward[1]: back-pointers of steps 1..words, [words, batch, tags].
        string last = _g.Op("ArgMax", [_g.Op("Add", forward[0], end)], OnnxProto.IntAttribute("axis", 1), OnnxProto.IntAttribute("keepdims", 1));
        string lastStep = _g.Op("Sub", words, _g.Int64Constant("one", [1], scalar: true));
        var backtrack = _g.Ops("Loop", [words, "", last], 2, OnnxProto.GraphAttribute("body", BacktrackStep(forward[1], lastStep)));
        // backtrack[0]: the tag at position 0 [batch, 1]; backtrack[1]: tags at positions words..1, [words, batch, 1].
        string ascending = _g.Op("Slice", backtrack[1], _g.Int64Constant("minus_one", [-1]), _g.Int64Constant("viterbi_far", [long.MinValue]),
                                 _g.Int64Constant("first_axis", [0]), _g.Int64Constant("minus_one", [-1]));
        string all = _g.Op("Concat", [_g.Op("Unsqueeze", backtrack[0], _g.Int64Constant("first_axis", [0])), ascending], OnnxProto.IntAttribute("axis", 0));
        string path = _g.Op("Slice", all, _g.Int64Constant("zero", [0]), _g.Int64Constant("minus_one", [-1]), _g.Int64Constant("first_axis", [0])); // drop the padding word
        return _g.Op("Transpose", [_g.Op("Squeeze", path, _g.Int64Constant("last_axis", [-1]))], OnnxProto.IntsAttribute("perm", [1, 0]));
    }

    /// <summary>Step t = i + 1: best predecessor of each tag, frozen for rows already past their last word.</summary>
    private ProtoMessage ForwardStep(string padded, string allowed, string lengths, string identity)
    {
        var b = new OnnxGraphBuilder("viterbi_forward/");
        string i = b.Input("viterbi_forward/i", OnnxProto.Int64);
        string condition = b.Input("viterbi_forward/condition", OnnxProto.Bool);
        string score = b.Input("viterbi_forward/score", OnnxProto.Float, OnnxExport.Batch, _tags);
        string t = b.Op("Add", i, b.Int64Constant("one", [1], scalar: true));
        string candidates = b.Op("Add", b.Op("Unsqueeze", score, b.Int64Constant("last_axis", [-1])), allowed); // [batch, from, to]
        string best = b.Op("ReduceMax", [candidates], OnnxProto.IntsAttribute("axes", [1]), OnnxProto.IntAttribute("keepdims", 0));
        string from = b.Op("ArgMax", [candidates], OnnxProto.IntAttribute("axis", 1), OnnxProto.IntAttribute("keepdims", 0));
        string next = b.Op("Add", best, b.Op("Gather", [padded, t], OnnxProto.IntAttribute("axis", 1)));
        string active = b.Op("Less", t, lengths); // [batch, 1]
        b.Output(b.Op("Identity", condition), "viterbi_forward/condition_out", OnnxProto.Bool);
        b.Output(b.Op("Where", active, next, score), "viterbi_forward/score_out", OnnxProto.Float, OnnxExport.Batch, _tags);
        b.Output(b.Op("Where", active, from, identity), "viterbi_forward/back", OnnxProto.Int64, OnnxExport.Batch, _tags);
        return b.Build("viterbi_forward");
    }

    /// <summary>Step k: the tag at position words − k is carried in; its predecessor is carried out.</summary>
    private ProtoMessage BacktrackStep(string backPointers, string lastStep)
    {
        var b = new OnnxGraphBuilder("viterbi_backtrack/");
        string k = b.Input("viterbi_backtrack/k", OnnxProto.Int64);
        string condition = b.Input("viterbi_backtrack/condition", OnnxProto.Bool);
        string tag = b.Input("viterbi_backtrack/tag", OnnxProto.Int64, OnnxExport.Batch, 1);
        string pointers = b.Op("Gather", [backPointers, b.Op("Sub", lastStep, k)], OnnxProto.IntAttribute("axis", 0)); // [batch, tags]
        b.Output(b.Op("Identity", condition), "viterbi_backtrack/condition_out", OnnxProto.Bool);
        b.Output(b.Op("GatherElements", [pointers, tag], OnnxProto.IntAttribute("axis", 1)), "viterbi_backtrack/previous", OnnxProto.Int64, OnnxExport.Batch, 1);
        b.Output(b.Op("Identity", tag), "viterbi_backtrack/tag_out", OnnxProto.Int64, OnnxExport.Batch, 1);
        return b.Build("viterbi_backtrack");
    }
}
