namespace MLNet.Transfer;

/// <summary>Which tokens a language model predicts.</summary>
public enum LanguageModelObjective
{
    /// <summary>BERT's masked LM: predict ~15% hidden tokens from both sides (HF <c>BertForMaskedLM</c>).</summary>
    MaskedLm,
    /// <summary>Causal LM ("OpenAI transformer"): predict each next token from the tokens before it (HF <c>BertLMHeadModel</c>, is_decoder).</summary>
    CausalLm,
}
