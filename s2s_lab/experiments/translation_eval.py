r"""Looking inside a trained English → French translator (notebook 07): how probable it finds a translation,
its perplexity, its attention, its BLEU by sentence length, and the shipped models' translations of the test
split.

**A translation model is a conditional language model** (Sutskever et al., 2014): it gives every French
sentence :math:`y = y_1 \dots y_T` (its last token :math:`y_T = \langle eos \rangle`) a probability given the
English sentence :math:`x`,

.. math::
    P(y \mid x) = \prod_{t=1}^{T} p(y_t \mid y_{<t}, x), \qquad
    \log P(y \mid x) = \sum_{t=1}^{T} \log p(y_t \mid y_{<t}, x).

Its **perplexity** on pairs :math:`(x^{(n)}, y^{(n)})` is the exponential of the mean negative
log-probability per target token, which is the exponential of the (unsmoothed) training loss:

.. math::
    \mathrm{PPL} = \exp\Big(-\frac{1}{N} \sum_n \sum_{t=1}^{T_n} \log p(y^{(n)}_t \mid y^{(n)}_{<t}, x^{(n)})\Big),
    \quad N = \sum_n T_n.

A model that guessed uniformly among :math:`V` pieces would have perplexity :math:`V`; perplexity :math:`k`
means the model is, on average, as unsure as a uniform choice among :math:`k` pieces.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from ..checkpoints import shipped
from ..data import BOS, EOS, Batch, collate, pad
from ..seq2seq import Seq2Seq
from ..translation_data import normalise
from .translation import Translator, _src_limit

TRANSLATIONS_FILE = "eng-fra-test-translations.tsv.gz"
"""The shipped models' translations of the test split's 1,000 English sentences (``bench/eval_translation.py``)."""

LENGTH_EDGES = (1, 6, 9, 12, 31)
"""English sentence lengths (in words) of the buckets of :func:`bleu_by_length`: 1-5, 6-8, 9-11, 12-30 (the
test split has 44 pairs of 12 words or more, too few to cut finer)."""


def _check_translator(translator) -> None:
    if not isinstance(translator, Translator):
        raise ValueError(f"expected a Translator (Translator.load(...)), got {type(translator).__name__}.")


def encode_pairs(translator: Translator, pairs: Sequence[tuple[str, str]]) -> Batch:
    """The padded :class:`~s2s_lab.data.Batch` of ``(English, French)`` text pairs, normalised and cut into the
    translator's subwords (each side at most what the model reads)."""
    _check_translator(translator)
    if isinstance(pairs, (str, tuple)) or len(pairs) == 0:
        raise ValueError(
            "expected a non-empty list of (English, French) pairs, e.g. [('I am cold.', \"J'ai froid.\")]."
        )
    for k, p in enumerate(pairs):
        if not (isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ValueError(f"expected (English, French) pairs of texts, got {p!r} at position {k}.")
        if not p[0].strip() or not p[1].strip():
            raise ValueError(f"pair {k} has an empty side; both the English and the French need words.")
    src = translator.src_tokenizer.encode_batch([normalise(e) for e, _ in pairs])
    tgt = translator.tgt_tokenizer.encode_batch([normalise(f) for _, f in pairs])
    limit = _src_limit(translator.model)
    tgt_limit = translator.model.config.get("max_len", 128) - 1
    return collate([(s[:limit], t[:tgt_limit]) for s, t in zip(src, tgt)])


@torch.no_grad()
def token_log_probs(translator: Translator, english: str, french: str | Sequence[int]) -> tuple[list[str], Tensor]:
    r"""Each French piece with :math:`\log p(y_t \mid y_{<t}, x)`: ``(pieces, log_probs (T,))``, the last piece
    ``<eos>``. Their sum is :math:`\log P(y \mid x)`. ``french`` is text, or piece ids (e.g. a hypothesis'
    ``tokens``; a final ``<eos>`` is not repeated)."""
    if isinstance(french, str):
        batch = encode_pairs(translator, [(english, french)])
    else:
        ids = [int(i) for i in french]
        ids = ids[:-1] if ids and ids[-1] == EOS else ids
        _, src, src_mask = source_pieces(translator, english)
        batch = collate([(src[0].tolist(), ids)])
    model = translator.model.eval()
    log_probs = model(batch.src, batch.src_mask, batch.tgt_in).log_softmax(-1)  # (1, T, V)
    lp = log_probs[0].gather(1, batch.tgt_out[0, :, None])[:, 0]  # (T,)
    pieces = [translator.tgt_tokenizer.piece(int(i)) for i in batch.tgt_out[0]]
    return pieces, lp


@torch.no_grad()
def perplexity(translator: Translator, pairs: Sequence[tuple[str, str]], batch_size: int = 100) -> float:
    r"""The model's perplexity on ``pairs`` (see the module docstring), teacher-forced, ``<eos>`` included."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"expected batch_size as a whole number >= 1, got {batch_size!r}.")
    model = translator.model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))  # little padding per batch
    for start in range(0, len(order), batch_size):
        b = encode_pairs(translator, [pairs[i] for i in order[start : start + batch_size]])
        log_probs = model(b.src, b.src_mask, b.tgt_in).log_softmax(-1)  # (B, T, V)
        lp = log_probs.gather(2, b.tgt_out[..., None])[..., 0]  # (B, T)
        total -= float(lp[b.tgt_mask].sum())
        count += int(b.tgt_mask.sum())
    return math.exp(total / count)


@torch.no_grad()
def cross_attention(translator: Translator, english: str, tokens: Sequence[int]) -> Tensor:
    r"""Where the decoder looks while it writes ``tokens`` (ids, e.g. a hypothesis' ``tokens``, ending in
    ``<eos>`` or not) for ``english``: weights ``(L, n_h, T, S)`` over the :math:`S` source pieces, for every
    decoder layer and head of a Transformer (its cross-attention, Vaswani et al., 2017), ``(1, 1, T, S)`` for
    the RNN's :math:`\alpha_{tj}` (Bahdanau et al., 2015). Each row sums to 1."""
    _, src, src_mask = source_pieces(translator, english)  # (1, S)
    model = translator.model.eval()
    tgt_in = torch.tensor([[BOS, *list(tokens)[:-1]]]) if len(tokens) else torch.tensor([[BOS]])  # (1, T)
    if isinstance(model, Seq2Seq):
        if model.config["attention"] is None:
            raise ValueError("this RNN has no attention, so there is nothing to show.")
        enc_out, summary, state = model.encode(src, src_mask)
        weights = []
        for t in range(tgt_in.shape[1]):
            _, state, w = model.decoder.step(tgt_in[:, t], state, enc_out, src_mask, summary)  # w: (1, S)
            weights.append(w)
        return torch.stack(weights, 1)[:, None]  # (1, 1, T, S)
    memory = model.encode(src, src_mask)  # (1, S, d)
    _, _, w_cross = model.decode(tgt_in, memory, src_mask, return_weights=True)  # L x (1, n_h, T, S)
    return torch.cat(w_cross)  # (L, n_h, T, S)


def source_pieces(translator: Translator, english: str) -> tuple[list[str], Tensor, Tensor]:
    """``english`` as the model reads it: its subword pieces and ``src (1, S)``, ``src_mask (1, S)``. Raises a
    ``ValueError`` with a sentence for the learner when nothing is left to translate; a source longer than the
    model reads is cut (the pieces show where)."""
    _check_translator(translator)
    if not isinstance(english, str):
        raise ValueError(f"expected an English sentence as text, got {type(english).__name__}.")
    ids = translator.src_tokenizer.encode(normalise(english))
    if not ids:
        raise ValueError("the English sentence is empty: type a few words to translate.")
    ids = ids[: _src_limit(translator.model)]
    src, src_mask = pad([ids])  # (1, S)
    return [translator.src_tokenizer.piece(i) for i in ids], src, src_mask


def beam_hypotheses(translator: Translator, english: str, k: int = 5, alpha: float = 0.6):
    """Beam search (:func:`~s2s_lab.decoding.beam_search`) on one English sentence: ``(source pieces,
    BeamResult)``; the hypotheses are best first, ``translator.tgt_tokenizer.decode(h.tokens)`` their text. No
    search tree is recorded (:class:`~s2s_lab.widgets.decoding.BeamTreeDemo` draws one)."""
    from ..decoding import beam_search

    pieces, src, src_mask = source_pieces(translator, english)
    model = translator.model.eval()
    (result,) = beam_search(model, src, src_mask, k=k, max_len=2 * src.shape[1] + 10, alpha=alpha, tree=False)
    return pieces, result


def bleu_by_length(
    hypotheses: Sequence[str], references: Sequence[str], sources: Sequence[str], edges: Sequence[int] = LENGTH_EDGES
) -> list[dict]:
    """Corpus BLEU (sacrebleu, one reference each) of the sentences whose English source has a length (in
    words) in each bucket ``edges[i] <= n < edges[i + 1]``: one dict per bucket with ``words`` (e.g. "6-8"),
    ``sentences`` and ``bleu`` (a :class:`~s2s_lab.bleu.Score`; ``None`` for an empty bucket)."""
    from ..bleu import corpus_bleu

    if not len(hypotheses) == len(references) == len(sources):
        raise ValueError(
            f"expected as many hypotheses, references and sources, got {len(hypotheses)}, {len(references)} "
            f"and {len(sources)}."
        )
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        idx = [i for i, s in enumerate(sources) if lo <= len(s.split()) < hi]
        score = corpus_bleu([hypotheses[i] for i in idx], [references[i] for i in idx]) if idx else None
        rows.append({"words": f"{lo}-{hi - 1}", "sentences": len(idx), "bleu": score})
    return rows


def write_translations(path: str | Path, rows: Sequence[dict]) -> None:
    """Write ``rows`` (dicts with ``model``, ``decoding``, ``english``, ``french``) as a gzipped TSV."""
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["model", "decoding", "english", "french"])
        for r in rows:
            w.writerow([r["model"], r["decoding"], r["english"], r["french"]])


def load_translations(path: str | Path | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """The stored translations: ``{(model, decoding): {English sentence: French output}}`` (default: the shipped
    :data:`TRANSLATIONS_FILE`)."""
    path = shipped(TRANSLATIONS_FILE) if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored translations at '{path.name}'; python bench/eval_translation.py makes them."
        )
    out: dict[tuple[str, str], dict[str, str]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            out.setdefault((r["model"], r["decoding"]), {})[r["english"]] = r["french"]
    return out


def test_scores(outputs: dict[str, str], split: str = "test") -> dict[str, dict]:
    """BLEU and chrF of ``outputs`` (``{English sentence: French output}``, every English sentence of the
    shipped ``split``) two ways: ``"single"``, one reference per pair (each pair's own French sentence, so an
    English sentence with three translations counts three times), and ``"multi"``, every distinct English
    sentence once against all its translations. Each is ``{"BLEU": Score, "chrF2": Score}``."""
    from ..bleu import score_translations
    from ..translation_data import load_pairs, load_references

    pairs, groups = load_pairs(split), load_references(split)
    missing = [en for en, _ in groups if en not in outputs]
    if missing:
        raise ValueError(f"{len(missing)} {split} sentences have no output, e.g. {missing[0]!r}.")
    return {
        "single": score_translations([outputs[en] for en, _ in pairs], [fr for _, fr in pairs]),
        "multi": score_translations([outputs[en] for en, _ in groups], [refs for _, refs in groups]),
    }


__all__ = [
    "TRANSLATIONS_FILE",
    "LENGTH_EDGES",
    "encode_pairs",
    "token_log_probs",
    "perplexity",
    "cross_attention",
    "source_pieces",
    "beam_hypotheses",
    "bleu_by_length",
    "write_translations",
    "load_translations",
    "test_scores",
    "LIVE_MODEL",
    "short_pairs",
    "live_training_setup",
]


# ----------------------------------------------------------------------------------------------
# A short live training (notebook 07, section 4)
# ----------------------------------------------------------------------------------------------
LIVE_MODEL = dict(
    d_model=128, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=256, max_len=64, norm_first=True
)
"""A small pre-norm Transformer (1.6 M parameters with the shipped 4,000-piece vocabularies) that learns
something in half a minute."""


def short_pairs(split: str, max_words: int = 6) -> list[tuple[str, str]]:
    """The pairs of a shipped split whose English sentence has at most ``max_words`` words."""
    from ..translation_data import load_pairs

    return [(en, fr) for en, fr in load_pairs(split) if len(en.split()) <= max_words]


def live_training_setup(updates: int = 240, batch_size: int = 64, max_words: int = 6, seed: int = 0):
    """What the short live training needs: ``(model, batches, translator)``: an untrained
    :data:`LIVE_MODEL` Transformer, the first ``updates`` batches of short training pairs (batched by length,
    shuffled with ``seed``), and a :class:`Translator` around the model (the shipped subword models)."""
    from itertools import islice

    from ..reproducibility import seed_everything, training_seed
    from ..subwords import SubwordTokenizer
    from ..transformer import Seq2SeqTransformer
    from ..translation_data import TranslationDataset, make_translation_loader

    seed_everything(seed)
    src_tok, tgt_tok = SubwordTokenizer.shipped("en"), SubwordTokenizer.shipped("fr")
    data = TranslationDataset(short_pairs("train", max_words), src_tok, tgt_tok)
    loader = make_translation_loader(data, batch_size, seed=training_seed(seed))
    model = Seq2SeqTransformer(len(src_tok), len(tgt_tok), **LIVE_MODEL, dropout=0.1)
    return model, list(islice(loader, updates)), Translator(model, src_tok, tgt_tok)
