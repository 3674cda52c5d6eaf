r"""Decoding: from a trained sequence-to-sequence model to output sequences, for both model kinds.

A model gives one token at a time, :math:`p(y_t \mid y_{<t}, x)`; the log-probability of a whole output
:math:`y = y_1 \dots y_{|y|}` (ending in ``<eos>``) is the sum

.. math::
    \log P(y \mid x) = \sum_{t=1}^{|y|} \log p(y_t \mid y_{<t}, x)

The most probable output cannot be found by trying all :math:`V^{T}` sequences; the decoders here
approximate it (greedy, beam search) or draw from :math:`P` instead (sampling).

**Greedy** (:func:`greedy`): :math:`\hat y_t = \arg\max_w p(w \mid \hat y_{<t}, x)`, fed back in, until
``<eos>``.

**Beam search** (:func:`beam_search`; Graves, 2012; Sutskever et al., 2014) keeps the :math:`k` most
probable unfinished outputs, the *open hypotheses* :math:`\mathcal{B}_{t-1}`, and at each step :math:`t`
(:func:`beam_step`):

1. *expands* every open hypothesis :math:`y` with every token :math:`w` (:math:`k \cdot V` candidates):
   :math:`\log P(y w \mid x) = \log P(y \mid x) + \log p(w \mid y, x)`;
2. *ranks* the candidates by :math:`\log P` (all have length :math:`t`, so this is also their score's order);
3. *sets aside* the candidates that end in ``<eos>`` and rank among the :math:`k` best: they are finished,
   :math:`\mathcal{F} \leftarrow \mathcal{F} \cup \{y \langle eos \rangle\}`;
4. *prunes*: the :math:`k` best candidates that do not end in ``<eos>`` are :math:`\mathcal{B}_t`.

Finished hypotheses of different lengths are compared by their **score**

.. math::
    s(y) = \frac{\log P(y \mid x)}{\operatorname{lp}(y)}, \qquad
    \operatorname{lp}(y) = \frac{(5 + |y|)^\alpha}{(5 + 1)^\alpha}\ \ (\texttt{"wu"}\text{, the default})
    \quad \text{or} \quad \operatorname{lp}(y) = |y|^\alpha\ \ (\texttt{"power"})

(:func:`length_penalty`; ``"wu"`` is Wu et al., 2016; ``"power"`` is the one of *Dive into Deep Learning*,
Zhang et al.). :math:`|y|` counts the output tokens including ``<eos>``. With :math:`\alpha = 0`,
:math:`\operatorname{lp} = 1` and the score is the log-probability, which favours short outputs (every
token multiplies :math:`P` by a number below one); :math:`\alpha > 0` divides part of that away.

**When to stop** (:func:`search_is_over`). Extending a hypothesis can only lower :math:`\log P(y \mid x)
\le 0`, and :math:`\operatorname{lp}` grows with the length, so an open hypothesis can at best reach
:math:`\log P(y \mid x) / \operatorname{lp}(T_{max})`, :math:`T_{max}` = ``max_len``. A sentence's search
stops when its :math:`k` best finished hypotheses score at least that much for every open one, or at
:math:`T_{max}`, where the hypotheses still open are *cut* and returned as unfinished. With :math:`k`
large enough that nothing is pruned the search is exact (the tests compare it with trying every sequence).

**Sampling** (:func:`sample`) draws :math:`y_t \sim q(\cdot \mid y_{<t}, x)`, the model's distribution
reshaped by :func:`sampling_distribution` (in this order; :math:`z` are the logits):

- *temperature* :math:`T > 0`: :math:`q_i \propto \exp(z_i / T)` (:math:`T \to 0`: greedy; :math:`T = 1`:
  the model's own distribution; :math:`T > 1`: flatter);
- *top-k* (Fan, Lewis & Dauphin, 2018): keep the :math:`k` most probable tokens, renormalise;
- *top-p*, the nucleus (Holtzman et al., 2020): keep the smallest set of most probable tokens whose
  probabilities add up to at least :math:`p`, renormalise.

A ``torch.Generator`` seeds the draws, so the same seed gives the same sample. :func:`distinct_n` measures
how varied a set of outputs is.

**What if** (:func:`force_prefix`): beam search that must start with a given prefix, its log-probabilities
counted, so that the model's best continuation of "what if it began with ..." can be compared with its own
choice.

**Step by step.** The decoders need one thing from a model, a *stepper* (:func:`make_stepper`):
``start(src, src_mask) -> state``, ``step(state, y_prev) -> (log_probs (N, V), state, attention (N, S))``
and ``reorder(state, index, sources=False)`` (the beams that survive a step; ``sources=True`` also
drops the rows of the sentences that are done). :class:`RNNStepper` serves :class:`Seq2Seq`
(with or without attention) through :meth:`Decoder.step`; :class:`TransformerStepper` serves
:class:`Seq2SeqTransformer` through :meth:`Seq2SeqTransformer.decode_step`, which keeps every decoder layer's
keys and values (a cache), so that step :math:`t` computes one position instead of all :math:`t`.

Every function decodes a batch, ``src (B, S) long`` with ``src_mask (B, S) bool`` (True = real token), in
evaluation mode (no dropout) and without gradients, and puts the model back in the mode it was in. The
tensors it returns are *inference tensors* (``torch.inference_mode``): ``.clone()`` one before changing it in
place or using it in a computation that needs gradients. None writes ``<pad>`` or ``<unk>``
(:func:`forbid_special`: their :math:`\log p` is set to :math:`-\infty`).

References: A. Graves (2012), *Sequence Transduction with Recurrent Neural Networks*; I. Sutskever,
O. Vinyals & Q. V. Le (2014), *Sequence to Sequence Learning with Neural Networks*; Y. Wu et al. (2016),
*Google's Neural Machine Translation System: Bridging the Gap between Human and Machine Translation*;
A. Fan, M. Lewis & Y. Dauphin (2018), *Hierarchical Neural Story Generation*; A. Holtzman, J. Buys, L. Du,
M. Forbes & Y. Choi (2020), *The Curious Case of Neural Text Degeneration*; J. Li, M. Galley, C. Brockett,
J. Gao & B. Dolan (2016), *A Diversity-Promoting Objective Function for Neural Conversation Models*;
H. Strobelt et al. (2018), *Seq2Seq-Vis: A Visual Debugging Tool for Sequence-to-Sequence Models*.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .data import BOS, EOS, PAD, UNK
from .interface import check_max_len
from .seq2seq import Seq2Seq
from .transformer import Seq2SeqTransformer

PENALTIES = ("wu", "power")
NEG_INF = float("-inf")
FORBIDDEN = (PAD, UNK)  # tokens no decoder writes: <pad> only fills a batch, <unk> is no word


# ----------------------------------------------------------------------------------------------
# What the decoders return
# ----------------------------------------------------------------------------------------------
@dataclass(eq=False)  # it holds tensors: compare .tokens and .score instead
class Hypothesis:
    r"""One output sequence and how the model rates it.

    Attributes:
        tokens: :math:`y_1 \dots y_{|y|}`, token ids without ``<bos>``, ending in ``<eos>`` when ``finished``.
        log_prob: :math:`\log P(y \mid x)` under the model (untempered, untruncated, also for samples).
        score: :math:`\log P(y \mid x) / \operatorname{lp}(y)` with the search's :math:`\alpha`
            (greedy and sampling: ``log_prob``).
        finished: whether it ends in ``<eos>`` (False: cut at ``max_len``).
        token_log_probs: ``(|y|,)``: :math:`\log p(y_t \mid y_{<t}, x)` of each token.
        attention: ``(|y|, S_x)``, at each step the attention over the sentence's :math:`S_x` real source
            tokens (RNN: :math:`\alpha_{tj}`; Transformer: the last decoder layer's cross-attention averaged
            over heads), or ``None`` for an RNN without attention.
        node: the id of its last token's node in :attr:`BeamResult.tree` (beam search only).
    """

    tokens: list[int]
    log_prob: float
    score: float
    finished: bool
    token_log_probs: Tensor
    attention: Tensor | None = None
    node: int | None = None

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class Node:
    r"""One node of a beam search tree: a candidate :math:`y_1 \dots y_t` that the search looked at.

    Attributes:
        id: its index in the tree list. parent: the id of the hypothesis it extends (``-1`` for the root,
        the ``<bos>`` of step 0). step: :math:`t`. token: :math:`y_t`. log_prob: :math:`\log P(y_{\le t} \mid x)`.
        status: ``"root"``; ``"forced"`` (a token of a prefix given by :func:`force_prefix`); ``"open"`` (kept
        in the beam, expanded at the next step unless the search stopped); ``"finished"`` (ended in ``<eos>``,
        set aside); ``"pruned"`` (fell out of the beam); ``"cut"`` (open when ``max_len`` was reached;
        returned as an unfinished hypothesis).
    """

    id: int
    parent: int
    step: int
    token: int
    log_prob: float
    status: str


@dataclass
class BeamResult:
    """The beam search's answer for one sentence.

    Attributes:
        hypotheses: every finished hypothesis (and those cut at ``max_len``), best score first.
        tree: every :class:`Node` the search recorded, parents before children.
    """

    hypotheses: list[Hypothesis]
    tree: list[Node]

    @property
    def best(self) -> Hypothesis:
        """The hypothesis with the highest score."""
        return self.hypotheses[0]


# ----------------------------------------------------------------------------------------------
# One step at a time, for each model kind
# ----------------------------------------------------------------------------------------------
def _map(fn: Callable[[Tensor], Tensor], x):
    """Apply ``fn`` to every tensor in a nest of dicts, lists and tuples."""
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, dict):
        return {key: _map(fn, v) for key, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_map(fn, v) for v in x)
    return x


def _rows(x, index: Tensor):
    return _map(lambda t: t.index_select(0, index), x)


class RNNStepper:
    r"""Step-by-step decoding of an RNN :class:`Seq2Seq` (with or without attention).

    ``state``: a dict with the source's ``enc_out (N, S, D*H)``, ``summary (N, D*H)``, ``src_mask (N, S)``,
    and the decoder state ``hidden`` :math:`s_{t-1}` ``(N, H_s)`` (an ``(h, c)`` pair for an LSTM).
    :meth:`step` returns :math:`\log p(\cdot \mid y_{<t}, x)` ``(N, V)``, the new state and the attention
    :math:`\alpha_{t\cdot}` ``(N, S)`` (``None`` without attention).
    """

    max_steps = None  # an RNN can run as long as asked

    def __init__(self, model: Seq2Seq):
        self.model = model

    def start(self, src: Tensor, src_mask: Tensor) -> dict:
        enc_out, summary, hidden = self.model.encode(src, src_mask)  # (N, S, D*H), (N, D*H), s_0
        return {"enc_out": enc_out, "summary": summary, "src_mask": src_mask, "hidden": hidden}

    def step(self, state: dict, y_prev: Tensor):
        s = state
        logits, hidden, weights = self.model.decoder.step(
            y_prev, s["hidden"], s["enc_out"], s["src_mask"], s["summary"]
        )
        return logits.log_softmax(-1), {**s, "hidden": hidden}, weights  # (N, V), state, (N, S) or None

    def reorder(self, state: dict, index: Tensor, sources: bool = False) -> dict:
        """Row ``i`` of the new state is row ``index[i]`` of the old. ``sources=False``: rows of the same
        sentence only, so the source's tensors are not copied; ``sources=True``: they follow too (for rows of
        other sentences, or fewer rows: the sentences that are done left out)."""
        if sources:
            return _rows(state, index)
        return {**state, "hidden": _rows(state["hidden"], index)}


class TransformerStepper:
    r"""Step-by-step decoding of a :class:`Seq2SeqTransformer` with a key/value cache.

    ``state``: a dict with ``src_mask (N, S)`` and ``cache``, per decoder layer the cross-attention keys and
    values of the memory (computed once) and the self-attention keys and values of the positions decoded so
    far (one more each step); see :meth:`Seq2SeqTransformer.decode_step`. :meth:`step` returns
    :math:`\log p(\cdot \mid y_{<t}, x)` ``(N, V)``, the new state and the last layer's cross-attention
    averaged over heads ``(N, S)``. At most the model's ``max_len`` steps (its positional encoding).
    """

    def __init__(self, model: Seq2SeqTransformer):
        self.model = model
        self.max_steps = model.max_len

    def start(self, src: Tensor, src_mask: Tensor) -> dict:
        memory = self.model.encode(src, src_mask)  # (N, S, d)
        return {"cache": self.model.start_cache(memory), "src_mask": src_mask}

    def step(self, state: dict, y_prev: Tensor):
        logits, cache, _, w_cross = self.model.decode_step(y_prev, state["cache"], state["src_mask"])
        return logits.log_softmax(-1), {**state, "cache": cache}, w_cross[-1].mean(1)[:, 0]  # (N, V), state, (N, S)

    def reorder(self, state: dict, index: Tensor, sources: bool = False) -> dict:
        """As :meth:`RNNStepper.reorder`: with ``sources=False`` only the self-attention keys and values follow
        their beams."""
        if sources:
            return _rows(state, index)
        cache = [{"memory": c["memory"], "self": _rows(c["self"], index)} for c in state["cache"]]
        return {**state, "cache": cache}


def make_stepper(model: nn.Module) -> RNNStepper | TransformerStepper:
    """The stepper for ``model``: :class:`RNNStepper` for a :class:`Seq2Seq`, :class:`TransformerStepper` for a
    :class:`Seq2SeqTransformer`."""
    if isinstance(model, Seq2Seq):
        return RNNStepper(model)
    if isinstance(model, Seq2SeqTransformer):
        return TransformerStepper(model)
    raise ValueError(f"expected an s2s_lab Seq2Seq or Seq2SeqTransformer model to decode, got {type(model).__name__}.")


def expand_state(state, k: int):
    """Repeat every row of a stepper's state ``k`` times: row ``b * k + j`` is copy ``j`` of row ``b``."""
    return _map(lambda t: t.repeat_interleave(k, dim=0), state)


@contextmanager
def _decoding(model: nn.Module):
    """Evaluation mode and no gradients while decoding (``torch.inference_mode``, a few per cent faster than
    ``torch.no_grad``); the model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def forbid_special(log_probs: Tensor) -> Tensor:
    r"""``log_probs (N, V)`` with :math:`\log p(w \mid y_{<t}, x) = -\infty` for the tokens of :data:`FORBIDDEN`
    (``<pad>`` and ``<unk>``), so that no decoder writes them. The other tokens' log-probabilities are left as
    they are (not renormalised): a hypothesis' :math:`\log P(y \mid x)` stays the model's own."""
    forbidden = [w for w in FORBIDDEN if w < log_probs.shape[-1]]
    return log_probs.index_fill(-1, torch.tensor(forbidden, device=log_probs.device), NEG_INF)  # (N, V)


def _prepare(model: nn.Module, max_len) -> tuple[RNNStepper | TransformerStepper, int]:
    stepper = make_stepper(model)
    check_max_len(max_len)
    return stepper, max_len if stepper.max_steps is None else min(max_len, stepper.max_steps)


# ----------------------------------------------------------------------------------------------
# Greedy decoding and sampling: one token per step for each sentence
# ----------------------------------------------------------------------------------------------
def _hypothesis(tokens: Tensor, token_lp: Tensor, attention: Tensor | None, src_mask: Tensor) -> Hypothesis:
    """Cut one row of a left-to-right decoding after its first ``<eos>``."""
    toks = tokens.tolist()
    n = toks.index(EOS) + 1 if EOS in toks else len(toks)
    lp = token_lp[:n].cpu()
    attn = None if attention is None else attention[:n][:, src_mask].cpu()  # (n, S_x)
    return Hypothesis(toks[:n], float(lp.sum()), float(lp.sum()), EOS in toks, lp, attn)


def _left_to_right(model, src, src_mask, max_len, choose: Callable[[Tensor], Tensor]) -> list[Hypothesis]:
    """Feed back ``choose(log_probs (B, V)) -> tokens (B,)`` until every sentence has written ``<eos>``."""
    stepper, max_len = _prepare(model, max_len)
    with _decoding(model):
        state = stepper.start(src, src_mask)
        B = src.shape[0]
        y = torch.full((B,), BOS, dtype=torch.long, device=src.device)  # (B,)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)  # (B,)
        tokens, token_lp, attention = [], [], []
        for _ in range(max_len):
            log_probs, state, attn = stepper.step(state, y)  # (B, V), state, (B, S) or None
            log_probs = forbid_special(log_probs)  # (B, V)
            y = choose(log_probs).masked_fill(done, PAD)  # (B,)
            tokens.append(y)
            token_lp.append(log_probs.gather(1, y[:, None])[:, 0])  # (B,)
            attention.append(attn)
            done = done | (y == EOS)
            if bool(done.all()):
                break
    tokens, token_lp = torch.stack(tokens, 1), torch.stack(token_lp, 1)  # (B, T')
    attn = None if attention[0] is None else torch.stack(attention, 1)  # (B, T', S)
    return [_hypothesis(tokens[b], token_lp[b], None if attn is None else attn[b], src_mask[b]) for b in range(B)]


def greedy(model: nn.Module, src: Tensor, src_mask: Tensor, max_len: int = 50) -> list[Hypothesis]:
    r"""Greedy decoding, :math:`\hat y_t = \arg\max_w p(w \mid \hat y_{<t}, x)`, step by step (for a
    Transformer with the key/value cache).

    Inputs: **model** a :class:`Seq2Seq` or :class:`Seq2SeqTransformer`; **src** ``(B, S) long``; **src_mask**
    ``(B, S) bool`` (True = real token); **max_len**: at most this many tokens (``<eos>`` included; for a
    Transformer at most its ``max_len``).

    Outputs: one :class:`Hypothesis` per sentence (``score = log_prob``).
    """
    return _left_to_right(model, src, src_mask, max_len, lambda log_probs: log_probs.argmax(-1))


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def check_sampling(temperature, top_k, top_p) -> None:
    """``temperature > 0``; ``top_k`` None or a whole number >= 1; ``top_p`` None or in (0, 1]."""
    if not _is_number(temperature) or temperature <= 0:
        raise ValueError(
            "expected temperature as a number > 0 (1: the model's own distribution, towards 0: greedy), "
            f"got {temperature!r}."
        )
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(
            f"expected top_k as a whole number >= 1 (how many of the most probable tokens to keep) or None, "
            f"got {top_k!r}."
        )
    if top_p is not None and (not _is_number(top_p) or not 0 < top_p <= 1):
        raise ValueError(
            "expected top_p in (0, 1] (the probability mass of the most probable tokens to keep) or None, "
            f"got {top_p!r}."
        )


def sampling_distribution(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    r"""The distribution :func:`sample` draws from: the logits :math:`z` tempered, then truncated.

    .. math::
        q_i \propto \exp(z_i / T)\, [i \in \text{top-}k]\, [i \in \text{top-}p], \qquad
        \text{top-}p = \text{the smallest set of most probable tokens with } \textstyle\sum_i q_i \ge p

    (top-:math:`k`: Fan et al., 2018; top-:math:`p`: Holtzman et al., 2020; applied in this order, top-:math:`p`
    to the distribution left by top-:math:`k`). The most probable token is always kept.

    Inputs: **logits** ``(..., V)`` (log-probabilities work too: :math:`\log \operatorname{softmax}` only
    shifts them); **temperature** :math:`T > 0`; **top_k** :math:`\ge 1` or ``None``; **top_p** in
    :math:`(0, 1]` or ``None``. Outputs: the probabilities :math:`q`, same shape, each row summing to 1.
    """
    check_sampling(temperature, top_k, top_p)
    if not isinstance(logits, Tensor) or not logits.is_floating_point() or logits.dim() == 0:
        raise ValueError(f"expected logits as a float tensor of shape (..., V), got {type(logits).__name__}.")
    z = logits / temperature  # (..., V)
    if top_k is not None and top_k < z.shape[-1]:
        kept = torch.zeros_like(z, dtype=torch.bool).scatter(-1, z.topk(top_k, dim=-1).indices, True)
        z = z.masked_fill(~kept, NEG_INF)
    if top_p is not None and top_p < 1:
        p_sorted, order = z.softmax(-1).sort(dim=-1, descending=True)  # (..., V)
        before = p_sorted.cumsum(-1) - p_sorted  # the mass of the more probable tokens
        drop_sorted = before >= top_p  # the set already reached p without this token
        drop_sorted[..., 0] = False
        z = z.masked_fill(torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted), NEG_INF)
    return z.softmax(-1)


def sample(
    model: nn.Module,
    src: Tensor,
    src_mask: Tensor,
    max_len: int = 50,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> list[Hypothesis]:
    r"""Draw one output per sentence, :math:`y_t \sim q(\cdot \mid y_{<t}, x)` with :math:`q` from
    :func:`sampling_distribution` (temperature, then top-k, then top-p).

    Inputs: as :func:`greedy`, and **temperature**, **top_k**, **top_p** (see :func:`sampling_distribution`);
    **generator**: a ``torch.Generator`` on the model's device, e.g. ``torch.Generator().manual_seed(0)``,
    so that the draws repeat (``None``: PyTorch's global generator). For several samples of a sentence,
    repeat its row in ``src``.

    Outputs: one :class:`Hypothesis` per sentence; ``log_prob`` is under the model itself
    (:math:`T = 1`, untruncated), so samples and beam outputs can be compared.
    """
    check_sampling(temperature, top_k, top_p)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"expected generator as a torch.Generator (e.g. torch.Generator().manual_seed(0)) or None, "
            f"got {type(generator).__name__}."
        )
    device = src.device if isinstance(src, Tensor) else None
    if generator is not None and device is not None and generator.device.type != device.type:
        raise ValueError(
            f"expected a generator on the model's device ({device.type}), got one on {generator.device.type}; "
            f"create it with torch.Generator(device='{device.type}')."
        )

    def choose(log_probs: Tensor) -> Tensor:
        q = sampling_distribution(log_probs, temperature, top_k, top_p)  # (B, V)
        return torch.multinomial(q, 1, generator=generator)[:, 0]  # (B,)

    return _left_to_right(model, src, src_mask, max_len, choose)


def distinct_n(outputs, n: int = 2) -> float:
    r"""Diversity of a set of outputs (Li et al., 2016): the share of their :math:`n`-grams that are distinct,

    .. math::
        \operatorname{distinct-}n = \frac{|\{\text{distinct } n\text{-grams in all outputs}\}|}
        {\text{number of } n\text{-grams in all outputs}} \in (0, 1]

    (1: no :math:`n`-gram repeats, within an output or across outputs; near 0: the same phrases again and again).

    Inputs: **outputs**: a list of texts (split at spaces into words) or of token lists; **n** :math:`\ge 1`.
    Outputs: a float; 0.0 when no output has :math:`n` tokens.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"expected n (the n-gram length) as a whole number >= 1, got {n!r}.")
    if isinstance(outputs, str) or not isinstance(outputs, list | tuple):
        raise ValueError("expected a list of outputs (texts or token lists), e.g. ['le chat', 'un chat'].")
    grams = []
    for y in outputs:
        words = y.split() if isinstance(y, str) else list(y)
        grams += [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


# ----------------------------------------------------------------------------------------------
# Beam search: the algorithm
# ----------------------------------------------------------------------------------------------
def length_penalty(length, alpha: float = 0.6, penalty: str = "wu"):
    r"""The length normalisation :math:`\operatorname{lp}(y)` that a hypothesis' log-probability is divided by.

    .. math::
        \texttt{"wu"}: \ \operatorname{lp}(y) = \frac{(5 + |y|)^\alpha}{(5 + 1)^\alpha} \ \text{(Wu et al., 2016)},
        \qquad \texttt{"power"}: \ \operatorname{lp}(y) = |y|^\alpha

    Inputs: **length** :math:`|y|` (tokens including ``<eos>``; a number or a tensor); **alpha**
    :math:`\alpha \ge 0` (0: no normalisation); **penalty** ``"wu"`` or ``"power"``. Outputs: like ``length``.
    """
    return ((5 + length) / 6) ** alpha if penalty == "wu" else length**alpha


class BeamStep(NamedTuple):
    """What one :func:`beam_step` decided, for ``B`` sentences: the ``2k`` best candidates, best first."""

    log_prob: Tensor  # (B, 2k): log P(y w | x) of each candidate
    parent: Tensor  # (B, 2k): which open hypothesis y (0..k-1) it extends
    token: Tensor  # (B, 2k): the token w it adds
    finished: Tensor  # (B, 2k) bool: ends in <eos> and ranks among the k best: set aside
    keep: Tensor  # (B, k): positions (in the 2k) of the k best that do not end in <eos>: the new open ones


def beam_step(open_log_prob: Tensor, log_probs: Tensor, eos: int = EOS) -> BeamStep:
    r"""One step of beam search for ``B`` sentences at once: expand, rank, set the finished aside, prune.

    .. math::
        \mathcal{C}_t = \{(y, w) : y \in \mathcal{B}_{t-1}, w \in \mathcal{V}\}, \quad
        \log P(y w \mid x) = \log P(y \mid x) + \log p(w \mid y, x), \quad
        \mathcal{B}_t = \operatorname{top-}k_{(y, w) \in \mathcal{C}_t,\ w \ne \langle eos \rangle} \log P(y w \mid x)

    and the candidates :math:`y \langle eos \rangle` ranked among the :math:`k` best of :math:`\mathcal{C}_t`
    are finished.

    Inputs: **open_log_prob** ``(B, k)``: :math:`\log P(y \mid x)` of each open hypothesis (``-inf``: none);
    **log_probs** ``(B, k, V)``: :math:`\log p(w \mid y, x)` of every next token (:math:`V \ge 2`).
    Outputs: a :class:`BeamStep`.
    """
    B, k, V = log_probs.shape
    # 1. expand: every open hypothesis y with every token w
    candidates = (open_log_prob.unsqueeze(-1) + log_probs).view(B, k * V)  # (B, k*V): log P(y w | x)
    # 2. rank: at most k candidates end in <eos> (one per y), so the 2k best hold k that do not
    log_prob, index = candidates.topk(min(2 * k, k * V), dim=1)  # (B, 2k), best first
    parent, token = index // V, index % V  # (B, 2k)
    ends = token == eos  # (B, 2k)
    rank = torch.arange(log_prob.shape[1], device=log_prob.device)  # (2k,)
    # 3. set aside: the <eos> candidates among the k best are finished
    finished = ends & (rank < k) & (log_prob > NEG_INF)  # (B, 2k)
    # 4. prune: the k best candidates that do not end in <eos> stay open
    keep = torch.argsort(ends.int(), dim=1, stable=True)[:, :k]  # (B, k), still best first
    return BeamStep(log_prob, parent, token, finished, keep)


def search_is_over(finished_scores: Tensor, best_open_log_prob: Tensor, k: int, lp_max: float) -> Tensor:
    r"""For ``A`` sentences at once: whether a sentence's :math:`k` best finished hypotheses already score at
    least what any open one can still reach, :math:`\log P(y \mid x) / \operatorname{lp}(T_{max})` (its
    log-probability can only fall, its length penalty only grow to ``lp_max``); also True when nothing is open.

    Inputs: **finished_scores** ``(A, n)``: the scores of each sentence's finished hypotheses (``-inf`` where a
    sentence has fewer than ``n``; the :math:`k` best are enough); **best_open_log_prob** ``(A,)``: the
    highest :math:`\log P(y \mid x)` of an open hypothesis (``-inf``: none open); **k**; **lp_max**
    :math:`\operatorname{lp}(T_{max})`. Outputs: ``(A,) bool``.
    """
    if finished_scores.shape[1] < k:  # fewer than k finished in every sentence
        return best_open_log_prob == NEG_INF
    kth_best = finished_scores.topk(k, dim=1).values[:, -1]  # (A,): -inf where fewer than k finished
    return (best_open_log_prob == NEG_INF) | (kth_best >= best_open_log_prob / lp_max)


# ----------------------------------------------------------------------------------------------
# Beam search: the bookkeeping (histories of the open hypotheses, the finished ones, the tree)
# ----------------------------------------------------------------------------------------------
class _Beams:
    """For the ``A`` sentences still searched (of ``B``; :attr:`ids` says which), ``k`` rows each: the tokens,
    token log-probs and attention of every open hypothesis (and its node in the tree); for all ``B``: the
    finished hypotheses and the trees (``None`` unless asked for)."""

    def __init__(self, src_mask: Tensor, k: int, max_len: int, alpha: float, penalty: str, tree_pruned, tree: bool):
        B, device = src_mask.shape[0], src_mask.device
        self.src_mask, self.k, self.max_len, self.tree_pruned = src_mask, k, max_len, tree_pruned
        self.alpha, self.penalty = alpha, penalty
        self.lp_max = length_penalty(max_len, alpha, penalty)
        self.ids = torch.arange(B, device=device)  # (A,): which sentences are still searched
        self.tokens = torch.zeros(B, k, 0, dtype=torch.long, device=device)  # (A, k, t)
        self.token_lp = torch.zeros(B, k, 0, device=device)  # (A, k, t)
        self.attention = None  # (A, k, t, S) once a step returns attention
        self.best = torch.full((B, k), NEG_INF, dtype=torch.float64, device=device)  # (A, k): k best finished scores
        self.trees = [[Node(0, -1, 0, BOS, 0.0, "root")] for _ in range(B)] if tree else None
        self.node = [[0] * k for _ in range(B)] if tree else None  # (A, k): the tree id of each open hypothesis
        self.hypotheses = [[] for _ in range(B)]

    def force(self, prefix: list[int], prefix_lp: Tensor, prefix_attn: Tensor | None) -> None:
        """Every sentence's search starts from the forced ``prefix`` (``P`` tokens) instead of ``<bos>`` alone:
        its tokens, their log-probs ``prefix_lp (A, P)`` and attention ``prefix_attn (A, P, S)`` (or None) become
        the history of each sentence's one open hypothesis, and a chain of ``"forced"`` nodes in its tree."""
        A, k, P = prefix_lp.shape[0], self.k, len(prefix)
        self.tokens = torch.tensor(prefix, device=prefix_lp.device).expand(A, k, P).clone()  # (A, k, P)
        self.token_lp = prefix_lp[:, None].expand(A, k, P).clone()  # (A, k, P)
        if prefix_attn is not None:
            self.attention = prefix_attn[:, None].expand(A, k, *prefix_attn.shape[1:]).clone()  # (A, k, P, S)
        if self.trees is not None:
            for b, lps in enumerate(prefix_lp.cumsum(1).tolist()):
                node = 0
                for t, (w, lp) in enumerate(zip(prefix, lps), start=1):
                    node = self._add(b, node, t, w, lp, "forced")
                self.node[b] = [node] * k

    def score(self, log_prob: float, length: int) -> float:
        return log_prob / length_penalty(length, self.alpha, self.penalty)

    def record(self, t: int, s: BeamStep, open_log_prob: Tensor, log_probs: Tensor, attention: Tensor | None):
        """Record step ``t`` of :func:`beam_step` for the ``A`` sentences still searched: the finished hypotheses
        (at the last step also the cut ones), the open ones' histories, the tree's new nodes. Returns the new
        open hypotheses' log-probs, parents and tokens ``(A, k)``, and which sentences are done ``(A,) bool``."""
        A, k, V = log_probs.shape
        attn = None if attention is None else attention.view(A, k, -1)  # (A, k, S)
        if attn is not None and self.attention is None:
            self.attention = attn.new_zeros(A, k, 0, attn.shape[-1])  # (A, k, 0, S)
        new_node, finished_node = (None, None) if self.trees is None else self._nodes(t, s, open_log_prob, log_probs)
        self._finish(t, s, log_probs, attn, finished_node)
        kept_lp, kept_parent, kept_token = (x.gather(1, s.keep) for x in (s.log_prob, s.parent, s.token))  # (A, k)
        self._follow(kept_parent, kept_token, log_probs.view(A, k * V).gather(1, kept_parent * V + kept_token), attn)
        self.node = new_node
        if t == self.max_len:
            self._cut(kept_lp, t)
            return kept_lp, kept_parent, kept_token, torch.ones(A, dtype=torch.bool, device=kept_lp.device)
        done = search_is_over(self.best, kept_lp.max(1).values.double(), k, self.lp_max)  # (A,)
        return kept_lp, kept_parent, kept_token, done

    def keep_only(self, index: Tensor) -> None:
        """Go on with the sentences at positions ``index (A',)`` of the ``A`` (the others are done)."""
        self.ids, self.tokens, self.token_lp, self.best = (
            x[index] for x in (self.ids, self.tokens, self.token_lp, self.best)
        )
        self.attention = None if self.attention is None else self.attention[index]
        self.node = None if self.node is None else [self.node[a] for a in index.tolist()]

    def _nodes(self, t, s: BeamStep, open_log_prob, log_probs) -> tuple[list[list[int]], dict]:
        """Add step ``t``'s nodes to the trees: the 2k best candidates, then the best of the others, as
        pruned, up to ``tree_pruned``. Returns the open ones' ids ``(A, k)`` and the finished ones' ids by
        ``(a, rank)``."""
        A, k, V = log_probs.shape
        rest = (open_log_prob.unsqueeze(-1) + log_probs).view(A, k * V)  # (A, k*V)
        rest = rest.scatter(1, s.parent * V + s.token, NEG_INF)  # without the 2k best
        m = rest.shape[1] if self.tree_pruned is None else min(self.tree_pruned, rest.shape[1])
        rest_lp, rest_index = rest.topk(m, dim=1)  # (A, m)
        cand_lp, parent, token, finished, keep = (x.tolist() for x in s)
        rest_lp, rest_index = rest_lp.tolist(), rest_index.tolist()
        status = "cut" if t == self.max_len else "open"
        new_node, finished_node = [[-1] * k for _ in range(A)], {}
        for a, b in enumerate(self.ids.tolist()):
            kept = {r: j for j, r in enumerate(keep[a])}  # rank among the 2k -> row in the new beam
            pruned = []
            for r, lp in enumerate(cand_lp[a]):
                if lp == NEG_INF:
                    continue
                if finished[a][r]:
                    finished_node[a, r] = self._add(b, self.node[a][parent[a][r]], t, EOS, lp, "finished")
                elif r in kept:
                    new_node[a][kept[r]] = self._add(b, self.node[a][parent[a][r]], t, token[a][r], lp, status)
                else:
                    pruned.append((lp, parent[a][r], token[a][r]))
            pruned += [(lp, i // V, i % V) for lp, i in zip(rest_lp[a], rest_index[a]) if lp > NEG_INF]
            for lp, p, w in pruned[: self.tree_pruned]:
                self._add(b, self.node[a][p], t, w, lp, "pruned")
        return new_node, finished_node

    def _add(self, b: int, parent: int, step: int, token: int, log_prob: float, status: str) -> int:
        tree = self.trees[b]
        tree.append(Node(len(tree), parent, step, token, log_prob, status))
        return len(tree) - 1

    def _finish(self, t: int, s: BeamStep, log_probs: Tensor, attn: Tensor | None, node: dict | None) -> None:
        """Set aside the open hypotheses followed by ``<eos>`` among the k best (every sentence at once), and
        keep the k best finished scores of each sentence."""
        a, r = s.finished.nonzero(as_tuple=True)  # (n,), (n,): sentence and rank of each finished candidate
        if a.numel() == 0:
            return
        j = s.parent[a, r]  # (n,): the open hypothesis it ends
        eos = torch.full_like(j, EOS)[:, None]  # (n, 1)
        tokens = torch.cat([self.tokens[a, j], eos], 1).tolist()  # (n, t)
        lps = torch.cat([self.token_lp[a, j], log_probs[a, j, EOS][:, None]], 1).cpu()  # (n, t)
        att = None if attn is None else torch.cat([self.attention[a, j], attn[a, j][:, None]], 1).cpu()  # (n, t, S)
        ids = self.ids[a].tolist()
        for i, (ai, ri, lp) in enumerate(zip(a.tolist(), r.tolist(), s.log_prob[a, r].tolist())):
            b = ids[i]
            at = None if att is None else att[i][:, self.src_mask[b].cpu()]  # (t, S_x)
            n = None if node is None else node[ai, ri]
            self.hypotheses[b].append(Hypothesis(tokens[i], lp, self.score(lp, t), True, lps[i], at, n))
        scores = s.log_prob.double() / length_penalty(t, self.alpha, self.penalty)  # (A, 2k)
        scores = scores.masked_fill(~s.finished, NEG_INF)
        self.best = torch.cat([self.best, scores], 1).topk(self.k, dim=1).values  # (A, k)

    def _follow(self, parent: Tensor, token: Tensor, token_lp: Tensor, attn: Tensor | None) -> None:
        """The open hypotheses' histories follow their parents ``(A, k)`` and add ``token``."""
        follow = parent.unsqueeze(-1)  # (A, k, 1)
        self.tokens = torch.cat([self.tokens.gather(1, follow.expand_as(self.tokens)), token[..., None]], 2)
        self.token_lp = torch.cat([self.token_lp.gather(1, follow.expand_as(self.token_lp)), token_lp[..., None]], 2)
        if attn is not None:
            old = self.attention.gather(1, follow.unsqueeze(-1).expand_as(self.attention))  # (A, k, t-1, S)
            new = attn.gather(1, follow.expand(-1, -1, attn.shape[-1]))  # (A, k, S)
            self.attention = torch.cat([old, new[:, :, None]], 2)  # (A, k, t, S)

    def _cut(self, kept_lp: Tensor, t: int) -> None:
        """At ``max_len`` the open hypotheses end unfinished."""
        for a, (b, lps) in enumerate(zip(self.ids.tolist(), kept_lp.tolist())):
            for j, lp in enumerate(lps):
                if lp > NEG_INF:
                    at = None if self.attention is None else self.attention[a, j][:, self.src_mask[b]].cpu()
                    n = None if self.trees is None else self.node[a][j]
                    hyp = Hypothesis(
                        self.tokens[a, j].tolist(), lp, self.score(lp, t), False, self.token_lp[a, j].cpu(), at, n
                    )
                    self.hypotheses[b].append(hyp)

    def results(self) -> list[BeamResult]:
        trees = [[] for _ in self.hypotheses] if self.trees is None else self.trees
        return [
            BeamResult(sorted(h, key=lambda h: h.score, reverse=True), tree) for h, tree in zip(self.hypotheses, trees)
        ]


def path_to(tree: list[Node], node: int) -> list[int]:
    r"""The tokens :math:`y_1 \dots y_t` from the root of a beam search ``tree`` (:attr:`BeamResult.tree`) to
    ``node`` (its id), without ``<bos>``: the hypothesis that node stands for."""
    if isinstance(node, bool) or not isinstance(node, int) or not 0 <= node < len(tree):
        raise ValueError(f"expected a node id from 0 to {len(tree) - 1}, got {node!r}.")
    tokens = []
    while tree[node].parent != -1:
        tokens.append(tree[node].token)
        node = tree[node].parent
    return tokens[::-1]


def check_beam(k, alpha, penalty, tree_pruned, tree=True) -> None:
    """``k`` a whole number >= 1; ``alpha`` a number >= 0; ``penalty`` in :data:`PENALTIES`; ``tree_pruned``
    None or a whole number >= 0; ``tree`` True or False."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"expected k (the beam width) as a whole number >= 1, got {k!r}.")
    if not _is_number(alpha) or alpha < 0:
        raise ValueError(f"expected alpha (the length normalisation) as a number >= 0 (0: none), got {alpha!r}.")
    if penalty not in PENALTIES:
        raise ValueError(f"expected penalty 'wu' or 'power' (the length penalty's formula), got {penalty!r}.")
    if tree_pruned is not None and (
        isinstance(tree_pruned, bool) or not isinstance(tree_pruned, int) or tree_pruned < 0
    ):
        raise ValueError(
            f"expected tree_pruned (how many pruned candidates per step the tree records) as a whole number "
            f">= 0 or None (all), got {tree_pruned!r}."
        )
    if not isinstance(tree, bool):
        raise ValueError(f"expected tree (whether to record the search tree) as True or False, got {tree!r}.")


def beam_search(
    model: nn.Module,
    src: Tensor,
    src_mask: Tensor,
    k: int = 5,
    max_len: int = 50,
    alpha: float = 0.6,
    penalty: str = "wu",
    tree_pruned: int | None = 10,
    tree: bool = True,
) -> list[BeamResult]:
    r"""Beam search (Graves, 2012; Sutskever et al., 2014) with length normalisation (Wu et al., 2016), for
    ``B`` sentences at once (``B * k`` rows through the model); see the module docstring.

    A sentence whose search is over leaves the batch (its rows of the stepper's state are dropped), so that
    the sentences still searched are not slowed down by it.

    Inputs: **model** a :class:`Seq2Seq` or :class:`Seq2SeqTransformer`; **src** ``(B, S) long``; **src_mask**
    ``(B, S) bool`` (True = real token); **k**: the beam width (1: greedy); **max_len**: at most this many
    tokens, ``<eos>`` included (for a Transformer at most its ``max_len``); **alpha** :math:`\alpha \ge 0` and
    **penalty** ``"wu"`` (default) or ``"power"``: the score :math:`\log P(y \mid x) / \operatorname{lp}(y)`
    (:func:`length_penalty`; ``alpha=0``: the log-probability); **tree_pruned**: how many pruned
    candidates the tree records per step and sentence, the most probable first (``None``: all
    :math:`k \cdot V`, for small vocabularies); **tree**: whether to record the search tree at all (False:
    ``BeamResult.tree`` is empty and ``Hypothesis.node`` is None; faster, for translating).

    Outputs: one :class:`BeamResult` per sentence: every finished hypothesis (and, if ``max_len`` was
    reached, the ones still open, unfinished) sorted by score, best first (``.best``), and the search tree.
    """
    check_beam(k, alpha, penalty, tree_pruned, tree)
    return _search(model, src, src_mask, k, max_len, alpha, penalty, tree_pruned, tree, prefix=[])


def _search(model, src, src_mask, k, max_len, alpha, penalty, tree_pruned, tree, prefix: list[int]):
    """Beam search from ``<bos>`` followed by the forced ``prefix`` (empty: plain beam search)."""
    stepper, max_len = _prepare(model, max_len)
    P = len(prefix)
    if P >= max_len:
        raise ValueError(f"the forced prefix has {P} tokens; max_len={max_len} leaves no room to continue it.")
    with _decoding(model):
        state = stepper.start(src, src_mask)  # A rows until the first search step's k rows
        A, device = src.shape[0], src.device
        beams = _Beams(src_mask, k, max_len, alpha, penalty, tree_pruned, tree)
        y = torch.full((A,), BOS, dtype=torch.long, device=device)  # (A,)
        start_lp = torch.zeros(A, device=device)  # (A,): log P(prefix | x)
        if P:
            lps, attns = [], []
            for w in prefix:  # teacher-force the prefix, one token per step
                log_probs, state, attention = stepper.step(state, y)  # (A, V), state, (A, S) or None
                if not 0 <= w < log_probs.shape[-1]:
                    V = log_probs.shape[-1]
                    raise ValueError(f"the prefix holds the token id {w}; this model's ids are 0 to {V - 1}.")
                lps.append(log_probs[:, w])  # the model's own log p, nothing forbidden
                attns.append(attention)
                y = torch.full((A,), w, dtype=torch.long, device=device)
            prefix_lp = torch.stack(lps, 1)  # (A, P)
            start_lp = prefix_lp.sum(1)
            beams.force(prefix, prefix_lp, None if attns[0] is None else torch.stack(attns, 1))  # (A, P, S)
        open_lp = torch.full((A, k), NEG_INF, device=device)  # (A, k)
        open_lp[:, 0] = start_lp  # one open hypothesis per sentence: <bos> and the prefix
        for t in range(P + 1, max_len + 1):
            log_probs, state, attention = stepper.step(state, y)  # (A*k, V), state, (A*k, S) or None
            if t == P + 1:  # the one open hypothesis computed once: now k rows per sentence, a*k + j
                state, (log_probs, attention) = expand_state(state, k), expand_state((log_probs, attention), k)
            log_probs = forbid_special(log_probs).view(A, k, -1)  # (A, k, V)
            s = beam_step(open_lp, log_probs)
            open_lp, parent, token, done = beams.record(t, s, open_lp, log_probs, attention)  # (A, k) x3, (A,)
            if bool(done.all()):
                break
            rows = torch.arange(A, device=device)[:, None] * k + parent  # (A, k): the rows the new beams extend
            if bool(done.any()):  # drop the sentences that are done
                going_on = (~done).nonzero()[:, 0]  # (A',)
                open_lp, token, rows = open_lp[going_on], token[going_on], rows[going_on]
                beams.keep_only(going_on)
                state = stepper.reorder(state, rows.view(-1), sources=True)
                A = going_on.shape[0]
            else:
                state = stepper.reorder(state, rows.view(-1))
            y = token.view(-1)  # (A*k,)
    return beams.results()


def force_prefix(
    model: nn.Module,
    src: Tensor,
    src_mask: Tensor,
    prefix_ids,
    k: int = 5,
    max_len: int = 50,
    alpha: float = 0.6,
    penalty: str = "wu",
    tree_pruned: int | None = 10,
    tree: bool = True,
) -> list[BeamResult]:
    r"""Beam search that must begin with ``prefix_ids`` (*"what if the translation started with ..."*; in the
    spirit of Seq2Seq-Vis, Strobelt et al., 2018): the prefix :math:`y_1 \dots y_P` is fed to the model token by
    token (teacher forcing), then the search continues from it as :func:`beam_search` does from ``<bos>``.

    .. math::
        \log P(y \mid x) = \underbrace{\sum_{t=1}^{P} \log p(y_t \mid y_{<t}, x)}_{\text{the forced prefix}}
        + \sum_{t=P+1}^{|y|} \log p(y_t \mid y_{<t}, x)

    The prefix's log-probabilities are counted (the model's own, even for a token the decoders never write, such
    as ``<unk>``), so a forced hypothesis' ``log_prob`` and ``score`` compare with :func:`beam_search`'s. With
    ``k=1`` the continuation is greedy; with an empty prefix this is :func:`beam_search`.

    Inputs: as :func:`beam_search`, and **prefix_ids**: a list of token ids (no ``<bos>``, ``<eos>`` or
    ``<pad>``), shorter than ``max_len``, the same for every sentence of the batch.
    Outputs: one :class:`BeamResult` per sentence; every hypothesis starts with the prefix; in the tree the
    prefix is a chain of ``"forced"`` nodes below the root.
    """
    check_beam(k, alpha, penalty, tree_pruned, tree)
    if isinstance(prefix_ids, Tensor):
        prefix_ids = prefix_ids.tolist()
    if isinstance(prefix_ids, str) or not isinstance(prefix_ids, list | tuple):
        raise ValueError(
            f"expected prefix_ids as a list of token ids (e.g. tokenizer.encode('je suis')), got {prefix_ids!r}."
        )
    prefix = list(prefix_ids)
    if any(isinstance(w, bool) or not isinstance(w, int) for w in prefix):
        raise ValueError(f"expected prefix_ids as whole numbers (token ids), got {prefix_ids!r}.")
    special = [w for w in prefix if w in (BOS, EOS, PAD)]
    if special:
        raise ValueError(
            f"the prefix holds the special token id {special[0]} (<pad>, <bos> or <eos>): force words only; "
            "<bos> is added for you and the search decides where the sentence ends."
        )
    return _search(model, src, src_mask, k, max_len, alpha, penalty, tree_pruned, tree, prefix=prefix)


__all__ = [
    "Hypothesis",
    "Node",
    "BeamResult",
    "RNNStepper",
    "TransformerStepper",
    "make_stepper",
    "expand_state",
    "forbid_special",
    "FORBIDDEN",
    "greedy",
    "sample",
    "sampling_distribution",
    "check_sampling",
    "length_penalty",
    "BeamStep",
    "beam_step",
    "search_is_over",
    "check_beam",
    "beam_search",
    "force_prefix",
    "distinct_n",
    "path_to",
    "PENALTIES",
]
