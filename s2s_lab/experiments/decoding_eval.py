r"""Decoding a trained English → French translator, measured (notebook 08): beam width against BLEU and output
length with and without length normalisation, sampling temperature against BLEU and diversity, forcing a French
prefix, and telling a search error from a model error.

**The beam search curse** (Koehn & Knowles, 2017; Stahlberg & Byrne, 2019). Beam search looks for
:math:`\arg\max_y \log P(y \mid x)`; every token multiplies :math:`P` by a number below one, so short outputs
have an advantage, and the better the search (the wider the beam), the more of it it finds: without length
normalisation (:math:`\alpha = 0`) outputs shorten and BLEU falls as :math:`k` grows; dividing by
:math:`\operatorname{lp}(y)` (:func:`s2s_lab.decoding.length_penalty`) counters it. :func:`beam_curse` measures it.

**Search error or model error?** For a sentence :math:`x`, a translation :math:`y^*` one believes right and
the beam's output :math:`\hat y`, compare the model's scores :math:`s(y) = \log P(y \mid x) / \operatorname{lp}(y)`:

- :math:`s(y^*) > s(\hat y)`: the model prefers :math:`y^*` but the search did not find it: a **search error**
  (a wider beam may help);
- :math:`s(y^*) \le s(\hat y)`: the search found what the model prefers, and the model prefers the other
  output: a **model error** (only a better model helps).

:func:`search_or_model_error` makes that call for one sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..data import BOS, EOS
from ..decoding import BeamResult, distinct_n, force_prefix, greedy, length_penalty
from ..translation_data import normalise
from .translation import Translator, translate_texts
from .translation_eval import _check_translator, source_pieces, token_log_probs

BEAM_WIDTHS = (1, 2, 4, 8, 16)
"""The beam widths :func:`beam_curse` tries by default."""

TEMPERATURES = (0.25, 0.5, 1.0, 1.5)
"""The sampling temperatures :func:`temperature_sweep` tries by default."""


def _check_groups(groups) -> None:
    if isinstance(groups, str) or not isinstance(groups, list | tuple) or not groups:
        raise ValueError(
            "expected a non-empty list of (English, [French references]) pairs, e.g. load_references('test')."
        )
    for i, g in enumerate(groups):
        if not (isinstance(g, list | tuple) and len(g) == 2 and isinstance(g[0], str)):
            raise ValueError(f"expected (English, [French references]) at position {i}, got {g!r}.")
        if isinstance(g[1], str) or not g[1]:
            raise ValueError(f"expected a list of French references at position {i}, got {g[1]!r}.")


def _words(texts: Sequence[str]) -> float:
    return sum(len(t.split()) for t in texts) / len(texts)


def beam_curse(
    translator: Translator,
    groups: Sequence[tuple[str, list[str]]],
    widths: Sequence[int] = BEAM_WIDTHS,
    alphas: Sequence[float] = (0.0, 0.6),
    batch_size: int = 32,
) -> list[dict]:
    r"""BLEU and output length against the beam width :math:`k`, for each length normalisation :math:`\alpha`.

    Inputs: **translator**; **groups**: ``(English, [French references])`` pairs (e.g.
    :func:`~s2s_lab.translation_data.load_references`); **widths** (1 is greedy, for every :math:`\alpha`: a
    beam of one never compares lengths); **alphas** (0: no normalisation); **batch_size**.

    Outputs: one dict per ``(alpha, k)``, in that order: ``alpha``, ``k``, ``bleu`` (a
    :class:`~s2s_lab.bleu.Score` against all references), ``words`` (mean output length in words),
    ``ref_words`` (mean reference length in words), ``empty`` (share of empty outputs) and ``outputs``.
    """
    from ..bleu import corpus_bleu

    _check_translator(translator)
    _check_groups(groups)
    english, refs = [e for e, _ in groups], [r for _, r in groups]
    ref_words = sum(_words(r) for r in refs) / len(refs)
    rows, greedy_out = [], None
    for alpha in alphas:
        for k in widths:
            if k == 1 and greedy_out is not None:
                out = greedy_out
            else:
                out = translate_texts(
                    translator.model, english, translator.src_tokenizer, translator.tgt_tokenizer, beam=k,
                    alpha=alpha, batch_size=batch_size,
                )  # fmt: skip
                greedy_out = out if k == 1 else greedy_out
            rows.append(
                dict(
                    alpha=alpha, k=k, bleu=corpus_bleu(out, refs), words=_words(out), ref_words=ref_words,
                    empty=sum(not o.strip() for o in out) / len(out), outputs=out,
                )
            )  # fmt: skip
    return rows


def temperature_sweep(
    translator: Translator,
    groups: Sequence[tuple[str, list[str]]],
    temperatures: Sequence[float] = TEMPERATURES,
    n_samples: int = 4,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    batch_size: int = 32,
) -> list[dict]:
    r"""Sampling at each temperature :math:`T`: how good (BLEU) and how varied (distinct-:math:`n`, Li et al.,
    2016) the outputs are.

    Every sentence is sampled ``n_samples`` times (seeds ``seed``, ``seed + 1``, ...).

    Outputs: one dict per temperature: ``temperature``; ``bleu``: the mean over the ``n_samples`` draws of the
    corpus BLEU (all references); ``distinct_1``, ``distinct_2``: for each sentence
    :func:`~s2s_lab.decoding.distinct_n` of its ``n_samples`` samples together, averaged over the sentences
    (1: the samples share no word or word pair; :math:`1 / n_{samples}`: they are all the same); ``words``: mean
    output length in words; ``samples``: ``n_samples`` lists of outputs.
    """
    from ..bleu import corpus_bleu

    _check_translator(translator)
    _check_groups(groups)
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"expected n_samples as a whole number >= 1, got {n_samples!r}.")
    english, refs = [e for e, _ in groups], [r for _, r in groups]
    rows = []
    for temperature in temperatures:
        draws = [
            translate_texts(
                translator.model, english, translator.src_tokenizer, translator.tgt_tokenizer, sample=True,
                temperature=temperature, top_k=top_k, top_p=top_p, seed=seed + i, batch_size=batch_size,
            )
            for i in range(n_samples)
        ]  # fmt: skip
        per_sentence = list(zip(*draws))  # (N, n_samples)
        rows.append(
            dict(
                temperature=temperature,
                bleu=sum(corpus_bleu(d, refs).score for d in draws) / n_samples,
                distinct_1=sum(distinct_n(list(s), 1) for s in per_sentence) / len(per_sentence),
                distinct_2=sum(distinct_n(list(s), 2) for s in per_sentence) / len(per_sentence),
                words=sum(_words(d) for d in draws) / n_samples,
                samples=draws,
            )
        )
    return rows


def prefix_ids(translator: Translator, french_prefix: str) -> list[int]:
    """A French prefix (text) as the target subword ids the model writes (normalised as the training data was).
    A prefix is cut into pieces as if the sentence went on, so ``"Je suis"`` ends with the whole word
    ``▁suis``."""
    _check_translator(translator)
    if not isinstance(french_prefix, str):
        raise ValueError(f"expected the French prefix as text, got {type(french_prefix).__name__}.")
    return translator.tgt_tokenizer.encode(normalise(french_prefix)) if french_prefix.strip() else []


def continue_prefix(
    translator: Translator,
    english: str,
    french_prefix: str,
    k: int = 5,
    alpha: float = 0.6,
    tree_pruned: int | None = 0,
) -> tuple[list[int], BeamResult]:
    """*What if the translation started with* ``french_prefix``: :func:`~s2s_lab.decoding.force_prefix` on one
    English sentence (at most :math:`2 S + 10` pieces for :math:`S` English ones, as :func:`translate_texts`).
    Returns ``(the prefix's ids, BeamResult)``; ``translator.tgt_tokenizer.decode(r.best.tokens)`` is the whole
    French output, prefix included. An empty prefix is plain beam search. ``tree_pruned``: how many pruned
    candidates per step the search tree records (0: only the kept and finished ones)."""
    ids = prefix_ids(translator, french_prefix)
    _, src, src_mask = source_pieces(translator, english)
    max_len = max(2 * src.shape[1] + 10, len(ids) + 10)
    limit = min(max_len, translator.model.config.get("max_len") or max_len)  # a Transformer's positions
    if len(ids) >= limit:
        raise ValueError(
            f"the French prefix has {len(ids)} pieces; this model writes at most {limit} (the end included), "
            "so nothing would be left to continue: shorten the prefix."
        )
    model = translator.model.eval()
    (result,) = force_prefix(model, src, src_mask, ids, k=k, max_len=max_len, alpha=alpha, tree_pruned=tree_pruned)
    return ids, result


@torch.inference_mode()
def next_token_log_probs(translator: Translator, english: str, tokens: Sequence[int]) -> Tensor:
    r""":math:`\log p(w \mid y_{<t}, x)` for every French piece :math:`w` after ``tokens`` (ids, e.g. the path
    to a node of the beam tree, without ``<bos>``): ``(V,)``, the model's own distribution (``<pad>`` and
    ``<unk>`` included)."""
    _, src, src_mask = source_pieces(translator, english)
    model = translator.model.eval()
    limit = model.config.get("max_len")
    if limit is not None and len(tokens) >= limit:
        raise ValueError(f"{len(tokens)} pieces are written already; this model writes at most {limit}.")
    tgt_in = torch.tensor([[BOS, *[int(t) for t in tokens]]])  # (1, t)
    return model(src, src_mask, tgt_in).log_softmax(-1)[0, -1].clone()  # (V,)


def search_or_model_error(
    translator: Translator, english: str, french: str, k: int = 5, alpha: float = 0.6, penalty: str = "wu"
) -> dict:
    r"""The model's score of the translation ``french`` against the beam's best (see the module docstring).

    Outputs: a dict with ``beam`` and ``yours``, each ``{"text", "pieces", "log_prob", "score"}``
    (:math:`\log P(y \mid x)` and :math:`s(y) = \log P / \operatorname{lp}(y)` with the search's :math:`\alpha`),
    and ``verdict``: ``"same"`` (the beam found your translation), ``"search error"`` (the model scores yours
    higher; the search missed it) or ``"model error"`` (the model scores the beam's output at least as high).
    """
    from .translation_eval import beam_hypotheses

    if not isinstance(french, str) or not french.strip():
        raise ValueError("your French translation is empty: type the translation you believe is right.")
    _, result = beam_hypotheses(translator, english, k=k, alpha=alpha)
    best = result.best
    pieces, lp = token_log_probs(translator, english, french)
    yours_lp = float(lp.sum())
    tok = translator.tgt_tokenizer
    beam = dict(text=tok.decode(best.tokens), pieces=len(best.tokens), log_prob=best.log_prob, score=best.score)
    yours = dict(
        text=tok.decode(tok.encode(normalise(french))), pieces=len(pieces), log_prob=yours_lp,
        score=yours_lp / length_penalty(len(pieces), alpha, penalty),
    )  # fmt: skip
    if tok.encode(normalise(french)) + [EOS] == best.tokens:
        verdict = "same"
    else:
        verdict = "search error" if yours["score"] > beam["score"] else "model error"
    return dict(beam=beam, yours=yours, verdict=verdict)


def greedy_misses(translator: Translator, sentences: Sequence[str], k: int = 5) -> list[dict]:
    r"""The sentences where greedy's first choices lead to a less probable output than beam search finds
    (:math:`\alpha = 0`, so both compare :math:`\log P(y \mid x)`) and the two differ from their first piece on.

    Outputs: one dict per such sentence, the biggest gap first: ``english``, ``greedy`` and ``beam`` (texts),
    ``greedy_log_prob``, ``beam_log_prob``, and ``first`` (the first pieces of greedy's and the beam's output).
    """
    from .translation_eval import beam_hypotheses

    _check_translator(translator)
    tok, rows = translator.tgt_tokenizer, []
    for english in sentences:
        _, src, src_mask = source_pieces(translator, english)
        (g,) = greedy(translator.model.eval(), src, src_mask, max_len=2 * src.shape[1] + 10)
        _, result = beam_hypotheses(translator, english, k=k, alpha=0.0)
        b = result.best
        if b.log_prob > g.log_prob + 1e-4 and b.tokens[:1] != g.tokens[:1]:
            rows.append(
                dict(
                    english=english, greedy=tok.decode(g.tokens), beam=tok.decode(b.tokens),
                    greedy_log_prob=g.log_prob, beam_log_prob=b.log_prob,
                    first=(tok.piece(g.tokens[0]), tok.piece(b.tokens[0])),
                )
            )  # fmt: skip
    return sorted(rows, key=lambda r: r["greedy_log_prob"] - r["beam_log_prob"])


def empty_trap(translator: Translator, sentences: Sequence[str], k: int = 5) -> list[dict]:
    r"""The sentences for which the model finds the **empty translation** (``<eos>`` at once) more probable than
    the output of a beam of width ``k`` without length normalisation (:math:`\alpha = 0`): an exact search for
    :math:`\arg\max_y \log P(y \mid x)` would return nothing for them (Stahlberg & Byrne, 2019).

    Outputs: one dict per such sentence: ``english``, ``beam`` (text), ``beam_log_prob``, ``empty_log_prob``
    (:math:`\log p(\langle eos \rangle \mid \langle bos \rangle, x)`).
    """
    from .translation_eval import beam_hypotheses

    _check_translator(translator)
    rows = []
    for english in sentences:
        _, result = beam_hypotheses(translator, english, k=k, alpha=0.0)
        _, empty = token_log_probs(translator, english, [])
        if float(empty.sum()) > result.best.log_prob:
            rows.append(
                dict(
                    english=english, beam=translator.tgt_tokenizer.decode(result.best.tokens),
                    beam_log_prob=result.best.log_prob, empty_log_prob=float(empty.sum()),
                )
            )  # fmt: skip
    return rows


__all__ = [
    "BEAM_WIDTHS",
    "TEMPERATURES",
    "beam_curse",
    "temperature_sweep",
    "prefix_ids",
    "continue_prefix",
    "next_token_log_probs",
    "search_or_model_error",
    "greedy_misses",
    "empty_trap",
]
