r"""Scoring translations the shareable way: corpus BLEU and chrF from sacreBLEU, with its signature.

**BLEU** (Papineni et al., 2002) compares a system's output with human references by n-gram overlap over
the whole test corpus. With :math:`p_n` the clipped precision of the n-grams of order :math:`n` (how many of
the output's n-grams occur in a reference, each counted at most as often as in the reference that has it most),
:math:`c` the output's length and :math:`r` the references' (for each sentence the reference length closest
to the output's):

.. math::
    \mathrm{BLEU} = 100 \cdot \mathrm{BP} \cdot \exp\Big(\sum_{n=1}^{4} \tfrac14 \log p_n\Big),
    \qquad \mathrm{BP} = \min\big(1, e^{\,1 - r/c}\big)

**chrF** (Popović, 2015) is the F-score (:math:`\beta = 2`, recall weighted twice) of character n-grams up to
order 6: it gives partial credit for a right word with a wrong ending, which matters for French.

Both depend on how the text is split into words, so a BLEU number means something only with the exact
settings. sacreBLEU (Post, 2018) fixes them and prints them as a *signature*, e.g.
``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``: report it with every score. Score
**detokenised** text, i.e. real sentences (:meth:`s2s_lab.subwords.SubwordTokenizer.decode`), never subword
pieces; sacreBLEU tokenises it itself (``13a``, the WMT standard).

**References.** sacreBLEU takes a list of reference *streams*: stream :math:`k` holds the :math:`k`-th
reference of every sentence, so one reference per sentence is ``[refs]``, not ``refs``. Passing ``refs`` itself
is a classic silent mistake: sacreBLEU then reads every reference string as a stream of characters and returns
a wrong number without any error. :func:`reference_streams` does the conversion (and pads sentences that have
fewer references with ``None``, which sacreBLEU skips; an empty string would count as an empty reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sacrebleu.metrics import BLEU, CHRF


@dataclass(frozen=True)
class Score:
    """One corpus score: ``name`` ("BLEU" or "chrF2"), ``score`` (0-100), sacreBLEU's ``signature`` and its
    one-line ``detail`` (for BLEU: the n-gram precisions, brevity penalty and lengths)."""

    name: str
    score: float
    signature: str
    detail: str

    def __str__(self) -> str:
        return f"{self.detail} ({self.signature})"


def _describe(x) -> str:
    return f"a {type(x).__name__}" + (f" of length {len(x)}" if isinstance(x, (list, tuple)) else "")


def check_hypotheses(hypotheses: Sequence[str]) -> list[str]:
    """The system outputs: a non-empty list of str, one per source sentence, as real text."""
    if isinstance(hypotheses, str):
        raise ValueError("expected a list of translations, got one str; wrap a single one in a list: [text].")
    if not isinstance(hypotheses, (list, tuple)) or len(hypotheses) == 0:
        raise ValueError(f"expected a non-empty list of translations (str), got {_describe(hypotheses)}.")
    for i, h in enumerate(hypotheses):
        if not isinstance(h, str):
            raise ValueError(f"expected every translation as a str, got {type(h).__name__} at index {i}.")
        if "\u2581" in h:
            raise ValueError(
                f"translation {i} contains SentencePiece's '\u2581' ({h!r}); score real text: decode the ids "
                f"with SubwordTokenizer.decode first."
            )
    return list(hypotheses)


def reference_streams(references: Sequence, n: int) -> list[list[str | None]]:
    """sacreBLEU's reference streams for ``n`` translations from ``references``, which is either

    - one reference per translation: a list of ``n`` str, giving ``[references]``; or
    - several per translation: a list of ``n`` lists of str (their number may vary), giving
      ``max_k`` streams where stream ``k`` holds every sentence's ``k``-th reference, or ``None`` where a
      sentence has fewer.
    """
    if isinstance(references, str) or not isinstance(references, (list, tuple)):
        raise ValueError(
            f"expected the references as a list (one str, or one list of str, per translation), "
            f"got {_describe(references)}."
        )
    if len(references) != n:
        raise ValueError(f"expected one reference entry per translation ({n}), got {len(references)}.")
    is_str = [isinstance(r, str) for r in references]
    if all(is_str):
        return [list(references)]
    if any(is_str):
        i, j = is_str.index(True), is_str.index(False)
        raise ValueError(
            f"expected either a str per translation or a list of str per translation, not a mix: "
            f"index {i} is a str, index {j} a {type(references[j]).__name__}."
        )
    for i, refs in enumerate(references):
        if not isinstance(refs, (list, tuple)) or not refs or not all(isinstance(r, str) for r in refs):
            raise ValueError(
                f"expected either a str per translation or a non-empty list of str per translation, "
                f"got {refs!r} at index {i}."
            )
    k = max(map(len, references))
    return [[refs[j] if j < len(refs) else None for refs in references] for j in range(k)]


def _score(metric, name: str, hypotheses, references) -> Score:
    hyps = check_hypotheses(hypotheses)
    streams = reference_streams(references, len(hyps))
    result = metric.corpus_score(hyps, streams)
    return Score(name, float(result.score), str(metric.get_signature()), str(result))


def corpus_bleu(hypotheses: Sequence[str], references: Sequence) -> Score:
    """Corpus BLEU of ``hypotheses`` (real text) against ``references`` (a str per hypothesis, or a list of
    str per hypothesis), with sacreBLEU's defaults: 13a tokenisation, case-sensitive, exponential smoothing.

    >>> corpus_bleu(["Il fait beau ."], [["Il fait beau .", "Le temps est beau ."]]).score
    100.00000000000004
    """
    return _score(BLEU(), "BLEU", hypotheses, references)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence) -> Score:
    """Corpus chrF (character 6-grams, :math:`\\beta = 2`) with sacreBLEU's defaults; arguments as
    :func:`corpus_bleu`."""
    return _score(CHRF(), "chrF2", hypotheses, references)


def score_translations(hypotheses: Sequence[str], references: Sequence) -> dict[str, Score]:
    """Both: ``{"BLEU": corpus_bleu(...), "chrF2": corpus_chrf(...)}``."""
    return {"BLEU": corpus_bleu(hypotheses, references), "chrF2": corpus_chrf(hypotheses, references)}


__all__ = ["Score", "check_hypotheses", "reference_streams", "corpus_bleu", "corpus_chrf", "score_translations"]
