"""Every sentence the example records in its steps' `narration` fields, as small functions of the numbers
they mention. Plain text, no markup: captions and the voice read them as they are.

The recorder (record.py) chooses which sentence a step gets; this module only words it. Sentences are in the
order the steps are recorded: inputs, attention, Add & Norm, feed-forward, outputs, generation, training.
"""
from __future__ import annotations

from typing import Sequence


def quote(tokens: Sequence[str]) -> str:
    return " ".join(tokens)


def _plural(n: int) -> str:
    return "s" * (n > 1)


# ---------------------------------------------------------------- inputs

def token_ids(side: str, tokens: Sequence[str], vocab_size: int, ids: Sequence[int]) -> str:
    n = len(tokens)
    return (f"The {n} {side} token{_plural(n)} {quote(tokens)} become their positions in the "
            f"{vocab_size}-word vocabulary: {' '.join(map(str, ids))}.")


def onehot(vocab_size: int) -> str:
    return f"Each token is a row of {vocab_size} zeros with a single 1 in its id's column."


def embedding(vocab_size: int, d_model: int) -> str:
    return (f"Multiplying by the {vocab_size} by {d_model} embedding matrix just picks one row of it per token: "
            f"each token is now {d_model} numbers. Tokens are rows.")


def embedding_scaled(scale: float, decimals: int) -> str:
    return (f"As in the paper, the embeddings are multiplied by the square root of d_model, {scale:.{decimals}f}, "
            "so they are not drowned out by the positional encoding.")


def embedding_unscaled() -> str:
    return "Embedding scaling is switched off for this example, so the embeddings are used as they are."


def positional(fastest: float, slowest_period: float, decimals: int) -> str:
    """fastest: the first columns' frequency (radians per position); slowest_period: 1 / the last one's."""
    return (f"Position is added as sine and cosine waves: columns 2i and 2i+1 share a frequency, from "
            f"{fastest:.{decimals}f} down to 1/{slowest_period:.1f} radians per position.")


def input_sum() -> str:
    return ("The positional encoding is added to the embeddings, number by number (an addition, not a "
            "concatenation), so the same word at two positions gets two different rows.")


# ---------------------------------------------------------------- attention

def queries(head: int, d_k: int, cross: bool) -> str:
    origin = ("queries come from the decoder, keys and values from the encoder output" if cross
              else "all three come from the same rows")
    return f"Head {head} projects each row onto {d_k} query numbers with its slice of W_Q; {origin}."


def keys(cross: bool) -> str:
    return f"The keys: what each {'source ' if cross else ''}token offers to be matched against."


def values() -> str:
    return "The values: what each token passes on once it is attended to."


def scores() -> str:
    return ("Every query is compared with every key by a dot product. This product is the only place "
            "where tokens exchange information.")


def scaled_scores(d_k: int) -> str:
    return (f"Dividing by the square root of d_k = {d_k} keeps the scores near unit variance, so the "
            "softmax does not saturate.")


def masked_scores() -> str:
    return ("Cells above the diagonal become minus infinity: under teacher forcing each position may "
            "see only itself and earlier tokens, never the words it must predict.")


def attention_weights(masked: bool) -> str:
    return ("A softmax over each row turns scores into weights that are positive and sum to 1"
            + ("; the minus-infinity cells become exact zeros." if masked else "."))


def head_output() -> str:
    return "Each output row is a weighted mix of the value rows, with the attention weights as the mix."


def concat(n_heads: int, d_k: int, d_model: int) -> str:
    if n_heads == 1:
        return f"With one head, its output, {d_k} columns wide, is already a row of {d_model}."
    both = "both" if n_heads == 2 else f"all {n_heads}"
    return (f"The outputs of {both} heads, {d_k} columns each, sit side by side to make rows of "
            f"{d_model} again.")


def attention_output() -> str:
    return "The output matrix W_O mixes the heads' findings into one row per token."


# ---------------------------------------------------------------- Add & Norm, feed-forward

def residual_sum() -> str:
    return ("The residual connection adds the sub-layer's output to its input, so the original row is kept "
            "and only adjusted.")


def row_mean(d_model: int) -> str:
    return f"Layer normalization works on each row alone: first its mean over the {d_model} numbers."


def row_var() -> str:
    return "Then its variance: the average squared distance from the mean."


def normalized() -> str:
    return "Subtracting the mean and dividing by the standard deviation gives every row mean 0 and variance 1."


def norm_output(trained: bool) -> str:
    if trained:
        return ("A learned scale gamma and shift beta follow; they started at 1 and 0, and training has "
                "changed them.")
    return ("A learned scale gamma and shift beta follow; they start at 1 and 0, so the output equals the "
            "normalized rows until training changes them.")


def ffn_widen(d_model: int, d_ff: int) -> str:
    return f"Each row on its own is widened from {d_model} to {d_ff} numbers by the first layer."


def ffn_relu(zeros: int, size: int) -> str:
    return f"The ReLU sets every negative number to zero ({zeros} of {size} here) and keeps the rest."


def ffn_narrow(d_model: int) -> str:
    return f"The second layer narrows each row back to {d_model} numbers."


# ---------------------------------------------------------------- encoder and decoder outputs

def encoder_output(n_layers: int, d_model: int) -> str:
    return (f"After {n_layers} encoder layer{_plural(n_layers)}, each source token is a row "
            f"of {d_model} numbers that has mixed in information from every other source token. "
            "The decoder will read it through cross-attention.")


def decoder_output() -> str:
    return ("The decoder's last layer gives one row per target position; each row is a summary of the tokens "
            "before it and of the whole source sentence.")


def logits(vocab_size: int, tied: bool) -> str:
    return (f"Each position on its own is projected onto the {vocab_size} words of the vocabulary"
            + (", using the embedding matrix transposed (tied weights)." if tied else "."))


def probabilities() -> str:
    return ("A softmax over each row turns the logits into probabilities over the vocabulary; "
            "row t is the model's guess for the word after position t.")


def predicted(tokens: Sequence[str], hits: int, positions: int, how_trained: str) -> str:
    """how_trained: untrained_note() or trained_note(...)."""
    return (f"The most probable word at each position: {quote(tokens)}. It matches the true next word "
            f"{hits} of {positions} times; {how_trained}")


def untrained_note() -> str:
    return "the weights are random and untrained, so the guesses are arbitrary."


def _trained_on(pairs: int) -> str:
    more = pairs - 1
    return ("this one sentence pair" if not more else
            f"this sentence pair and {more} corpus line{_plural(more)} (each copied to itself)")


def _steps(n: int, kind: str = "") -> str:
    """ "1 step", "31 training steps". """
    return f"{n} {kind}step{'s' * (n != 1)}"


def trained_note(steps: int, pairs: int, reproduced: bool) -> str:
    """How the weights came about, for the prediction: honest about what training means here."""
    if reproduced:
        return (f"the weights were trained on {_trained_on(pairs)} for {_steps(steps)}, so the model has "
                "memorized the answer: it recalls one sentence, it does not understand language.")
    return (f"the weights were trained on {_trained_on(pairs)} for {_steps(steps)}, the limit, and still do not "
            "reproduce the target: this model is too small or was trained too briefly to memorize it.")


# ---------------------------------------------------------------- generation

def generation_input(step: int, tokens: Sequence[str]) -> str:
    """step counts from 1, as said aloud."""
    n = len(tokens)
    return f"Step {step} feeds the decoder the {n} token{_plural(n)} so far: {quote(tokens)}."


def generation_logits() -> str:
    return "Only the last position's logits matter: they score every word as the next one."


def generation_probs(word: str, probability: float, decimals: int) -> str:
    return f"The most probable next word is '{word}' with probability {probability:.{decimals}f}."


def generation_token(word: str, is_end: bool) -> str:
    return (f"Greedy decoding takes '{word}' and appends it to the input"
            + ("; it is <end>, so generation stops." if is_end else "."))


def generation_untrained() -> str:
    """After the last generation step, with untrained weights."""
    return " With random, untrained weights the generated words are arbitrary."


def generation_result(generated: Sequence[str], labels: Sequence[str], steps: int) -> str:
    """After the last generation step: does the generated sentence equal the target (labels: target + <end>)?"""
    generated, labels = list(generated), list(labels)
    if generated == labels[:len(generated)]:
        whole = "the target" if len(generated) == len(labels) else "the start of the target"
        return (f" The generated words, {quote(generated)}, are exactly {whole}: the model memorized this "
                f"sentence in {_steps(steps, 'training ')}.")
    return (f" The generated words, {quote(generated)}, differ from the target {quote(labels)}: "
            f"{_steps(steps, 'training ')} {'was' if steps == 1 else 'were'} not enough to memorize it.")


# ---------------------------------------------------------------- the first training step

def pairs_aside(pairs: int) -> str:
    return "" if pairs == 1 else f" (training averages this over {pairs} pairs; here is the example's own pair)"


def first_probs() -> str:
    return ("Before training, the random initial weights give these probabilities for the word after "
            "each position.")


def token_loss(labels: Sequence[str]) -> str:
    return ("The loss at each position is minus the log of the probability given to the true next word "
            f"({quote(labels)}): small when the model is sure and right, large when it is wrong.")


def loss(value: float, decimals: int, positions: int, pairs: int) -> str:
    return f"The loss is the mean over the {positions} positions: {value:.{decimals}f}{pairs_aside(pairs)}. Training lowers it."


def first_decoder_output() -> str:
    return "The decoder's output rows with the initial weights: the input of the output layer."


def dlogits(positions: int) -> str:
    return ("By the chain rule through softmax and the log, the gradient of each logit is its probability minus 1 "
            f"for the true word (minus 0 for the others), divided by the {positions} positions: push the true word up, "
            "every other word down.")


def dW_out(tied: bool) -> str:
    return ("Since z = Y W, the gradient of W is Y transposed times the gradient of z: each entry sums, over the "
            "positions, a decoder number times a logit gradient."
            + (" With tied weights W_E also gets gradient from its use as the embedding, so the whole gradient "
               "of the output matrix differs from this part." if tied else ""))


def W_out_before() -> str:
    return "The output matrix's initial, random values."


def whole_grad(tied: bool, pairs: int) -> str:
    return ("The gradient Adam uses: the one from backpropagation through the whole network"
            + (", the output layer's part plus the embedding's." if tied else
               ", which for an untied output layer is exactly the part above.") + pairs_aside(pairs))


def adam_m() -> str:
    return "Adam keeps a running mean of the gradients; after one step it is a tenth of the gradient."


def adam_v() -> str:
    return "and a running mean of the squared gradients."


def adam_update(lr: float) -> str:
    return (f"Corrected for their zero start, the means are g and g squared, so the first update is the learning "
            f"rate {lr:.4g} times the sign of g: every weight moves by the same small amount, against its gradient.")


def adam_after(steps: int) -> str:
    return ("Subtracting the update gives the weights of the next step; "
            f"{steps} such step{'s' * (steps != 1)} trained the model.")
