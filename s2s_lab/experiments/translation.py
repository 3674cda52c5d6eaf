r"""Real translation, English → French: the recipe, the training and the translating, for both model kinds.

The models of notebooks 05 (an RNN encoder-decoder with additive attention) and 06 (the Transformer) learn
to translate the shipped Tatoeba sentence pairs (:mod:`s2s_lab.translation_data`, subwords from
:mod:`s2s_lab.subwords`). Real data needs what the toy tasks did not:

- **dropout** (Srivastava et al., 2014) and **label smoothing** :math:`\varepsilon` (Szegedy et al., 2016),
  both used by Vaswani et al. (2017), against over-fitting and over-confidence (:func:`s2s_lab.fit`). The
  recipes keep dropout 0.1; the shipped models were trained with ``dropout=0``, because in their hour (under
  three passes over the data) they do not over-fit and dropout only slowed them (``data/README.md``);
- **learning-rate warm-up** then inverse-square-root decay (Vaswani et al., 2017, section 5.3;
  :func:`inverse_sqrt_schedule`), because Adam's first updates, made with poor second-moment estimates,
  can throw a Transformer off course;
- **batching by length** (:class:`~s2s_lab.translation_data.LengthBatchSampler`), so that batches are not
  mostly padding;
- **gradient clipping** (Pascanu et al., 2013);
- **best-keeping and early stopping on validation BLEU** (Papineni et al., 2002, via sacreBLEU,
  :mod:`s2s_lab.bleu`), measured with greedy decoding on a fixed subset of the validation split
  (:func:`validation_subset`), and **checkpoint averaging** (Vaswani et al., 2017, section 6.1: the average
  of the weights of the last checkpoints, :func:`average_state_dicts`).

:class:`TranslationRecipe` holds every one of these settings (one source of truth for the command line,
the notebook and the shipped checkpoints); :func:`train_translation` runs it with the collection's one
:func:`~s2s_lab.training.fit`; :class:`Translator` loads a trained checkpoint and translates text with
:mod:`s2s_lab.decoding` (batched beam search by default).

References: A. Vaswani et al. (2017), *Attention Is All You Need*; N. Srivastava et al. (2014), *Dropout: A
Simple Way to Prevent Neural Networks from Overfitting*; C. Szegedy et al. (2016), *Rethinking the Inception
Architecture for Computer Vision* (label smoothing); R. Pascanu, T. Mikolov & Y. Bengio (2013), *On the
Difficulty of Training Recurrent Neural Networks*; K. Papineni et al. (2002), *BLEU: a Method for Automatic
Evaluation of Machine Translation*; D. Bahdanau, K. Cho & Y. Bengio (2015), *Neural Machine Translation by
Jointly Learning to Align and Translate*; M.-T. Luong, H. Pham & C. D. Manning (2015), *Effective Approaches
to Attention-based Neural Machine Translation*.
"""

from __future__ import annotations

import collections
import copy
import gzip
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import decoding
from ..checkpoints import load_checkpoint, save_checkpoint, shipped
from ..data import collate, pad
from ..reproducibility import seed_everything, training_seed
from ..seq2seq import Seq2Seq
from ..subwords import SubwordTokenizer
from ..training import History, default_device, fit, masked_cross_entropy, num_threads
from ..transformer import Seq2SeqTransformer
from ..translation_data import (
    TranslationDataset,
    group_references,
    load_pairs,
    load_references,
    make_translation_loader,
    normalise,
)

KINDS = ("transformer", "rnn")
# The shipped English → French checkpoints, the best first: `translate` without --checkpoint uses the first
# one present (data/README.md: how they were trained, and their scores).
SHIPPED = ("eng-fra-transformer.pt", "eng-fra-rnn.pt")
TRAIN_HINT = (
    "train one with `python -m s2s_lab train --model transformer --out eng-fra.pt` and pass --checkpoint eng-fra.pt"
)


# ----------------------------------------------------------------------------------------------
# The recipe
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TranslationRecipe:
    r"""Everything that defines one English → French training (change one entry with
    ``dataclasses.replace(recipe, label_smoothing=0.0)``).

    Attributes:
        kind: ``"transformer"`` (:class:`~s2s_lab.Seq2SeqTransformer`) or ``"rnn"`` (:class:`~s2s_lab.Seq2Seq`).
        model: the model's constructor arguments other than the vocabulary sizes and ``dropout``.
        dropout: dropout probability :math:`p` (training only).
        label_smoothing: :math:`\varepsilon` of the loss (:func:`~s2s_lab.training.masked_cross_entropy`).
        lr: the peak learning rate :math:`\eta`, reached at the end of the warm-up; betas: Adam's
            :math:`(\beta_1, \beta_2)` (Vaswani et al., 2017: 0.9 and 0.98).
        warmup: updates of linear warm-up :math:`w` before the inverse-square-root decay
            (:func:`inverse_sqrt_schedule`; 0: a constant learning rate).
        clip: the largest gradient norm (``None``: no clipping).
        batch_size: sentence pairs per update; by_length: batches of pairs of similar length (else random).
        max_len: training pairs with more subwords on either side are left out; at translation time the
            RNN reads at most this many subwords of an input (the Transformer at most its ``max_len``).
        eval_every: updates between evaluations (validation BLEU).
        n_valid: how many validation sentences are translated (greedily) for the validation BLEU.
        patience: stop when this many evaluations in a row have not raised the best BLEU (``None``: never).
        average: also try the average of the weights of the last ``average`` evaluations (0: no averaging);
            it is kept if its validation BLEU beats the best single one.
        minutes: the training's time budget (a resumed training counts the minutes already spent).
        threads: CPU threads (see :func:`~s2s_lab.training.num_threads`); seed: initialisation and batch order.
        n_train: train on the first ``n_train`` training pairs only (``None``: all; for quick tests).
        src_language, tgt_language: the shipped subword models (:meth:`SubwordTokenizer.shipped`).
    """

    kind: str
    model: dict
    dropout: float = 0.1
    label_smoothing: float = 0.1
    lr: float = 7e-4
    betas: tuple[float, float] = (0.9, 0.98)
    warmup: int = 1000
    clip: float | None = 1.0
    batch_size: int = 64
    by_length: bool = True
    max_len: int = 64
    eval_every: int = 500
    n_valid: int = 300
    patience: int | None = None
    average: int = 0
    minutes: float = 60.0
    threads: int | None = 1
    seed: int = 0
    n_train: int | None = None
    src_language: str = "en"
    tgt_language: str = "fr"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"expected kind among {KINDS}, got {self.kind!r}.")
        for name in ("warmup", "average"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"expected {name} as a whole number >= 0, got {v!r}.")
        for name in ("batch_size", "max_len", "eval_every", "n_valid"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"expected {name} as a whole number >= 1, got {v!r}.")
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"expected dropout as a probability in [0, 1), got {self.dropout!r}.")
        if not isinstance(self.minutes, (int, float)) or not self.minutes > 0:
            raise ValueError(f"expected minutes > 0 (the time budget), got {self.minutes!r}.")
        if self.n_train is not None and (not isinstance(self.n_train, int) or self.n_train < 1):
            raise ValueError(f"expected n_train as a whole number >= 1 (or None for all pairs), got {self.n_train!r}.")


# The Transformer of notebook 06 at a size for translation: pre-norm (stable without a long warm-up),
# d_model 256, 4 heads, 3 + 3 layers, feed-forward 1024: 8.6 M parameters (17.2 MB in half precision), 2.4
# updates/s with 1 thread on a 2-core CPU (bench/bench_translation.py; d_model 192: 3.4, d_model 128: 5.0).
TRANSFORMER = TranslationRecipe(
    kind="transformer",
    model=dict(
        d_model=256,
        nhead=4,
        num_encoder_layers=3,
        num_decoder_layers=3,
        dim_feedforward=1024,
        max_len=128,
        norm_first=True,
    ),
)

# The RNN of notebook 05 at a size for translation: GRU, bidirectional encoder, additive attention
# (Bahdanau et al., 2015); embeddings 256, 192 per direction: 8.3 M parameters (16.6 MB in half precision),
# 1.8 updates/s with 1 thread (bench/bench_translation.py; 256 per direction: 1.3 and 21.4 MB, over 20 MB).
RNN = TranslationRecipe(
    kind="rnn",
    model=dict(emb_size=256, hidden_size=192, cell="gru", bidirectional=True, attention="additive"),
    lr=2e-3,
    warmup=200,
)

RECIPES = {"transformer": TRANSFORMER, "rnn": RNN}


def build_model(recipe: TranslationRecipe, src_vocab_size: int, tgt_vocab_size: int) -> nn.Module:
    """The untrained model of ``recipe`` for vocabularies of these sizes."""
    if recipe.kind == "transformer":
        return Seq2SeqTransformer(src_vocab_size, tgt_vocab_size, **recipe.model, dropout=recipe.dropout)
    return Seq2Seq(src_vocab_size, tgt_vocab_size, **recipe.model, dropout=recipe.dropout, max_src_len=recipe.max_len)


def inverse_sqrt_schedule(optimizer: torch.optim.Optimizer, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    r"""Linear warm-up, then inverse-square-root decay (Vaswani et al., 2017, section 5.3, normalised so that
    the peak is the optimiser's learning rate :math:`\eta`): update :math:`n = 1, 2, \dots` uses

    .. math::
        \eta_n = \eta \cdot \min\Big(\frac{n}{w}, \sqrt{\frac{w}{n}}\Big)

    (the paper's :math:`d_{model}^{-0.5} \min(n^{-0.5}, n\, w^{-1.5})` is this with
    :math:`\eta = (d_{model}\, w)^{-0.5}`). :math:`w = 0`: :math:`\eta_n = \eta` (no schedule).
    Step it after every update (:func:`~s2s_lab.fit` does).
    """
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"expected warmup as a whole number of updates >= 0, got {warmup!r}.")

    def factor(u: int) -> float:  # u updates done, so the next one is n = u + 1
        return 1.0 if warmup == 0 else min((u + 1) / warmup, math.sqrt(warmup / (u + 1)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def average_state_dicts(states: Sequence[dict]) -> dict:
    r"""The element-wise mean of several ``state_dict`` s of one model, :math:`\bar\theta = \frac1N \sum_i \theta_i`
    (checkpoint averaging: Vaswani et al., 2017, section 6.1). Integer entries are taken from the last."""
    if not states:
        raise ValueError("expected at least one state_dict to average, got none.")
    out = {}
    for k, v in states[-1].items():
        out[k] = torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v.clone()
    return out


# ----------------------------------------------------------------------------------------------
# Translating
# ----------------------------------------------------------------------------------------------
def _src_limit(model: nn.Module) -> int:
    """The longest source (in subwords) the model reads."""
    limit = getattr(model, "max_src_len", None)
    return limit if limit is not None else 128


class InputTruncated(UserWarning):
    """An input longer than the model reads was cut: ``index`` (0-based), its ``length`` and the ``limit``
    (in subwords)."""

    def __init__(self, index: int, length: int, limit: int):
        super().__init__(
            f"input {index + 1} has {length} subwords; this model reads at most {limit}, so only its first "
            f"{limit} were translated."
        )
        self.index, self.length, self.limit = index, length, limit


def translate_texts(
    model: nn.Module,
    texts: Sequence[str],
    src_tokenizer: SubwordTokenizer,
    tgt_tokenizer: SubwordTokenizer,
    beam: int = 5,
    alpha: float = 0.6,
    sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    batch_size: int = 32,
    progress: bool = False,
) -> list[str]:
    r"""Translate ``texts``: normalise (:func:`~s2s_lab.translation_data.normalise`), encode into subwords,
    decode with :mod:`s2s_lab.decoding`, join the pieces back into text. One output per input, in order.

    Args:
        model: a trained :class:`~s2s_lab.Seq2Seq` or :class:`~s2s_lab.Seq2SeqTransformer`.
        texts: the source sentences; an empty (or all-space) one gives ``""``.
        src_tokenizer, tgt_tokenizer: the subword models the model was trained with.
        beam: beam width :math:`k` (:func:`~s2s_lab.decoding.beam_search`, length normalisation ``alpha``;
            1: greedy). sample: draw instead (:func:`~s2s_lab.decoding.sample` with ``temperature``,
            ``top_k``, ``top_p``, seeded by ``seed``).
        batch_size: sentences decoded at once (sorted by length, so that a batch has little padding).
        progress: a tqdm bar (on stderr) over the batches.

    A source longer than the model reads (``model.max_src_len`` subwords) is cut to that length with an
    :class:`InputTruncated` warning naming the input. Outputs are at most :math:`2 S + 10` subwords for a source of
    :math:`S` (and at most the Transformer's ``max_len``).
    """
    if isinstance(texts, str):
        raise ValueError("expected a list of texts, got one str; wrap a single one in a list: [text].")
    if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
        raise ValueError(f"expected beam (the beam width) as a whole number >= 1, got {beam!r}.")
    if sample:
        decoding.check_sampling(temperature, top_k, top_p)
    limit = _src_limit(model)
    ids = src_tokenizer.encode_batch([normalise(t) for t in texts])
    for i, x in enumerate(ids):
        if len(x) > limit:
            warnings.warn(InputTruncated(i, len(x), limit), stacklevel=2)
            ids[i] = x[:limit]
    out = [""] * len(texts)
    todo = sorted((i for i, x in enumerate(ids) if x), key=lambda i: len(ids[i]))
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed) if sample else None
    starts = range(0, len(todo), batch_size)
    for start in tqdm(starts, desc="translating", unit="batch", disable=not progress, file=sys.stderr):
        chunk = todo[start : start + batch_size]
        src, src_mask = (t.to(device) for t in pad([ids[i] for i in chunk]))  # (B, S)
        max_len = 2 * src.shape[1] + 10
        if sample:
            tokens = [h.tokens for h in decoding.sample(model, src, src_mask, max_len, temperature, top_k, top_p, gen)]
        elif beam == 1:
            tokens = [h.tokens for h in decoding.greedy(model, src, src_mask, max_len)]
        else:
            results = decoding.beam_search(model, src, src_mask, beam, max_len, alpha, tree=False)
            tokens = [r.best.tokens for r in results]
        for i, t in zip(chunk, tokens):
            out[i] = tgt_tokenizer.decode(t)
    return out


@dataclass
class Translator:
    """A trained English → French model with its subword models, ready to translate text.

    ``Translator.load(path)`` reads a checkpoint written by :func:`train_translation` (``None``: the best
    shipped one, :func:`default_checkpoint`); :meth:`translate` is :func:`translate_texts`.
    """

    model: nn.Module
    src_tokenizer: SubwordTokenizer
    tgt_tokenizer: SubwordTokenizer
    extra: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None, device=None) -> Translator:
        path = default_checkpoint() if path is None else Path(path)
        model, extra = load_checkpoint(path)
        names = extra.get("tokenizers") if isinstance(extra, dict) else None
        if not isinstance(names, dict) or set(names) != {"src", "tgt"}:
            raise ValueError(
                f"'{path.name}' is an s2s-lab checkpoint but not of a translation model (it names no subword "
                f"models); {TRAIN_HINT}."
            )
        src, tgt = (SubwordTokenizer(shipped(names[k])) for k in ("src", "tgt"))
        vocab = model.config["src_vocab_size"], model.config["tgt_vocab_size"]
        if vocab != (len(src), len(tgt)):
            raise ValueError(
                f"'{path.name}' was trained with vocabularies of {vocab[0]} and {vocab[1]} pieces, but its subword "
                f"models have {len(src)} and {len(tgt)}."
            )
        model.to(torch.device(device) if device is not None else default_device()).eval()
        return cls(model, src, tgt, extra)

    def translate(self, texts: Sequence[str], **options) -> list[str]:
        """:func:`translate_texts` with this model and its subword models."""
        return translate_texts(self.model, texts, self.src_tokenizer, self.tgt_tokenizer, **options)


def default_checkpoint() -> Path:
    """The best shipped English → French checkpoint (the first of :data:`SHIPPED` that is shipped)."""
    for name in SHIPPED:
        try:
            return shipped(name)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"no trained English→French model is shipped yet; {TRAIN_HINT}.")


def read_pairs_file(path: str | Path) -> list[tuple[str, str]]:
    """``(English, French)`` pairs from a UTF-8 file of ``English<TAB>French`` lines (gzip if it ends in
    ``.gz``), normalised; blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file of sentence pairs at '{path}'.")
    raw = path.read_bytes()
    try:
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"could not read '{path.name}' as UTF-8 text ({type(err).__name__}).") from None
    pairs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not normalise(parts[0]) or not normalise(parts[1]):
            raise ValueError(f"{path.name} line {n}: expected 'English<TAB>French', got {line[:80]!r}.")
        pairs.append((normalise(parts[0]), normalise(parts[1])))
    if not pairs:
        raise ValueError(f"'{path.name}' holds no sentence pairs.")
    return pairs


def evaluate_translation(translator: Translator, pairs: Sequence[tuple[str, str]], **options) -> dict:
    """Translate the distinct English sentences of ``pairs`` and score them against *all* their French
    translations: ``{"BLEU": Score, "chrF2": Score, "sentences": n}`` (:func:`s2s_lab.bleu.score_translations`)."""
    from ..bleu import score_translations  # here: sacreBLEU takes 0.1 s to import, and translating needs none

    groups = group_references(pairs)
    hyps = translator.translate([en for en, _ in groups], **options)
    return {**score_translations(hyps, [refs for _, refs in groups]), "sentences": len(groups)}


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------
def validation_subset(n: int) -> list[tuple[str, list[str]]]:
    """``n`` validation sentences with all their references, evenly spread over the validation split (which
    is sorted roughly by length, so the subset has short and long sentences alike); the same every time."""
    refs = load_references("valid")
    n = min(n, len(refs))
    return [refs[i * len(refs) // n] for i in range(n)]


def bleu_metric(
    subset: Sequence[tuple[str, list[str]]], src_tokenizer, tgt_tokenizer, batch_size: int = 100
) -> Callable[[nn.Module], dict]:
    """A ``val_metric`` for :func:`~s2s_lab.fit`: the corpus BLEU of greedy translations of ``subset``
    (``"score"`` and ``"bleu"``), its chrF (``"chrf"``) and the teacher-forced loss on the first references
    (``"loss"``, without label smoothing)."""
    from ..bleu import score_translations  # here: sacreBLEU takes 0.1 s to import, and translating needs none

    sources, references = [en for en, _ in subset], [refs for _, refs in subset]
    data = TranslationDataset([(en, refs[0]) for en, refs in subset], src_tokenizer, tgt_tokenizer)
    batches = [
        collate([data[i] for i in range(s, min(s + batch_size, len(data)))]) for s in range(0, len(data), batch_size)
    ]

    @torch.no_grad()
    def metric(model: nn.Module) -> dict:
        device = next(model.parameters()).device
        hyps = translate_texts(model, sources, src_tokenizer, tgt_tokenizer, beam=1, batch_size=batch_size)
        scores = score_translations(hyps, references)
        nll = tokens = 0.0
        for b in batches:
            b = b.to(device)
            logits = model(b.src, b.src_mask, b.tgt_in)  # (B, T, V)
            n = int(b.tgt_mask.sum())
            nll, tokens = nll + float(masked_cross_entropy(logits, b.tgt_out, b.tgt_mask)) * n, tokens + n
        bleu = scores["BLEU"].score
        return {"score": bleu, "bleu": bleu, "chrf": scores["chrF2"].score, "loss": nll / tokens}

    return metric


def _history_to_plain(h: History) -> dict:
    return {"updates": len(h.updates), "losses": h.losses, "evals": h.evals, "seconds": h.seconds}


def _history_from_plain(d: dict) -> History:
    evals = [dict(e) for e in d["evals"]]
    best = max(evals, key=lambda e: (e["score"], -e.get("loss", 0.0)), default=None)
    return History(list(range(1, d["updates"] + 1)), list(d["losses"]), evals, best, "", d["seconds"])


class _SkipFirst:
    """A batch sampler that leaves out the first ``skip`` batches of its first epoch (a resumed training
    goes on in the middle of an epoch's batch order)."""

    def __init__(self, sampler, skip: int):
        self.sampler, self.skip = sampler, skip

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        skip, self.skip = self.skip, 0
        for k, b in enumerate(self.sampler):
            if k >= skip:
                yield b


@dataclass
class TrainedTranslator:
    """What :func:`train_translation` did: the model (with the weights saved at ``path``), its history, the
    validation scores of the saved weights and where the resumable training state is."""

    translator: Translator
    history: History
    valid: dict
    path: Path
    state_path: Path


def state_path_for(out: str | Path) -> Path:
    """Where :func:`train_translation` keeps the resumable training state of the checkpoint ``out``."""
    out = Path(out)
    return out.with_name(out.stem + ".state.pt")


def _log(message: str) -> None:
    tqdm.write(message, file=sys.stderr)  # between the progress bar's updates


def train_translation(
    recipe: TranslationRecipe,
    out: str | Path,
    minutes: float | None = None,
    device=None,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = _log,
    command: str = "",
) -> TrainedTranslator:
    """Train ``recipe`` with :func:`~s2s_lab.fit` and save the best model (by validation BLEU) at ``out``.

    Args:
        recipe: a :class:`TranslationRecipe`, e.g. :data:`TRANSFORMER` or :data:`RNN`.
        out: the checkpoint file (:func:`~s2s_lab.checkpoints.save_checkpoint`; ``extra`` holds the recipe,
            the subword models' names, the validation scores, the history and ``command``). It is written
            at every evaluation that beats the best so far, so an interrupted training (Ctrl-C) keeps it.
        minutes: the time budget (default ``recipe.minutes``); a resumed training counts the minutes spent.
        device: where to train (default: a GPU if present, else the CPU).
        resume: go on from the training state next to ``out`` (:func:`state_path_for`; weights, optimiser,
            schedule, history, random state and, with batching by length, the position in the batch order),
            written at every evaluation and at the end.
        progress: a tqdm bar. log: where the evaluations are reported (default: stderr).
        command: the command line that ran this training, recorded in the checkpoint.
    """
    if not isinstance(recipe, TranslationRecipe):
        raise ValueError(f"expected a TranslationRecipe, got {type(recipe).__name__}.")
    minutes = recipe.minutes if minutes is None else minutes
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not minutes > 0:
        raise ValueError(f"expected minutes > 0 (the time budget), got {minutes!r}.")
    out, device = Path(out), torch.device(device) if device is not None else default_device()
    state_path = state_path_for(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"cannot write '{out}': the folder '{out.parent}' does not exist.")
    if resume and not state_path.is_file():
        raise FileNotFoundError(f"nothing to resume: no training state at '{state_path}' (train without resume).")
    seed_everything(recipe.seed)
    src_tok, tgt_tok = SubwordTokenizer.shipped(recipe.src_language), SubwordTokenizer.shipped(recipe.tgt_language)
    pairs = load_pairs("train")[: recipe.n_train]
    data = TranslationDataset(pairs, src_tok, tgt_tok, max_len=recipe.max_len)
    loader = make_translation_loader(
        data, recipe.batch_size, seed=training_seed(recipe.seed), by_length=recipe.by_length
    )
    model = build_model(recipe, len(src_tok), len(tgt_tok)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=recipe.betas)
    scheduler = inverse_sqrt_schedule(opt, recipe.warmup)
    history = None
    plain_recipe = asdict(recipe)
    if resume:
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        theirs = {k: v for k, v in state["recipe"].items() if k != "minutes"}
        if theirs != {k: v for k, v in plain_recipe.items() if k != "minutes"}:
            diff = ", ".join(
                f"{k}={theirs.get(k)!r} (now {v!r})" for k, v in plain_recipe.items() if theirs.get(k) != v
            )
            raise ValueError(f"cannot resume '{state_path.name}' with another recipe: {diff}.")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        history = _history_from_plain(state["history"])
        done = len(history.updates)
        if recipe.by_length:  # on in the middle of the epoch where it stopped
            loader.batch_sampler.set_epoch(done // len(loader))
            loader = torch.utils.data.DataLoader(
                data, batch_sampler=_SkipFirst(loader.batch_sampler, done % len(loader)), collate_fn=collate
            )
        else:  # random batches: a new order, not the first run's again
            loader = make_translation_loader(
                data, recipe.batch_size, seed=training_seed(recipe.seed) + done, by_length=False
            )
        log(f"resuming {out.name} at update {done} ({history.seconds / 60:.1f} minutes done)")
    metric = bleu_metric(validation_subset(recipe.n_valid), src_tok, tgt_tok)
    recent = collections.deque(maxlen=max(recipe.average, 1))
    n_evals = len(history.evals) if history is not None else 0
    tokenizers = {"src": f"eng-fra-{recipe.src_language}.model", "tgt": f"eng-fra-{recipe.tgt_language}.model"}

    def save(path: Path, h: History, rec: dict, averaged: int = 0) -> None:
        save_checkpoint(
            path,
            model,
            recipe=plain_recipe,
            tokenizers=tokenizers,
            valid={k: rec[k] for k in ("bleu", "chrf", "loss")},
            valid_sentences=recipe.n_valid,
            update=rec["update"],
            seconds=round(rec["seconds"], 1),
            averaged=averaged,
            evals=h.evals,
            device=str(device),
            torch=str(torch.__version__),  # a str subclass that torch.load(weights_only=True) refuses
            command=command,
        )

    def save_state(h: History) -> None:
        state = {
            "recipe": plain_recipe,
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": torch.get_rng_state(),
            "history": _history_to_plain(h),
        }
        tmp = state_path.with_name(state_path.name + ".tmp")
        torch.save(state, tmp)
        tmp.replace(state_path)

    def on_update(h: History) -> None:
        nonlocal n_evals
        if len(h.evals) == n_evals:
            return
        n_evals, rec = len(h.evals), h.evals[-1]
        new_best = h.best is rec
        if new_best:
            save(out, h, rec)
        if recipe.average:
            recent.append({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        save_state(h)
        log(
            f"update {rec['update']} ({rec['seconds'] / 60:.1f} min, lr {rec['lr']:.2e}): train loss "
            f"{rec['train_loss']:.3f}, valid loss {rec['loss']:.3f}, BLEU {rec['bleu']:.2f}, chrF {rec['chrf']:.2f}"
            + (" (best so far: saved)" if new_best else "")
        )

    hist = fit(
        model,
        loader,
        epochs=10**6,
        max_seconds=minutes * 60,
        eval_every=recipe.eval_every,
        optimizer=opt,
        scheduler=scheduler,
        clip=recipe.clip,
        label_smoothing=recipe.label_smoothing,
        val_metric=metric,
        patience=recipe.patience,
        restore_best=False,
        history=history,
        device=device,
        threads=recipe.threads,
        progress=progress,
        desc=f"{recipe.kind} en→fr",
        callback=on_update,
    )
    save_state(hist)
    if recipe.average > 1 and len(recent) > 1 and not hist.interrupted:
        latest = copy.deepcopy(model.state_dict())
        model.load_state_dict(average_state_dicts(list(recent)))
        with num_threads(recipe.threads):
            rec = {**hist.evals[-1], **_evaluated(metric, model), "averaged": len(recent)}
        log(f"average of the last {len(recent)} evaluations: BLEU {rec['bleu']:.2f}, chrF {rec['chrf']:.2f}")
        if hist.best is None or (rec["score"], -rec["loss"]) > (hist.best["score"], -hist.best["loss"]):
            hist.evals.append(rec)
            hist.best = rec
            save(out, hist, rec, averaged=len(recent))
            log("the average beats the best single evaluation: saved")
        model.load_state_dict(latest)
    if hist.best is None:
        raise RuntimeError(
            f"training stopped ({hist.stopped}) before its first evaluation, so no checkpoint was written; the "
            f"training state is in '{state_path}': continue it with resume."
        )
    translator = Translator.load(out, device=device)
    log(
        f"stopped ({hist.stopped}) at update {len(hist.updates)} after {hist.seconds / 60:.1f} min; {out} holds "
        f"update {translator.extra['update']}: valid BLEU {translator.extra['valid']['bleu']:.2f}"
    )
    return TrainedTranslator(translator, hist, translator.extra["valid"], out, state_path)


def _evaluated(metric, model: nn.Module) -> dict:
    """``metric(model)`` in evaluation mode without gradients (as :func:`~s2s_lab.fit` calls it)."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            return metric(model)
    finally:
        model.train(was)


def save_half_precision(path: str | Path, out: str | Path) -> None:
    """Write the checkpoint ``path`` again at ``out`` with its floating-point weights in half precision
    (float16: half the size; :func:`~s2s_lab.checkpoints.load_checkpoint` turns them back into float32)."""
    model, extra = load_checkpoint(path)
    save_checkpoint(out, model.half(), **extra)


__all__ = [
    "KINDS",
    "SHIPPED",
    "TranslationRecipe",
    "TRANSFORMER",
    "RNN",
    "RECIPES",
    "build_model",
    "inverse_sqrt_schedule",
    "average_state_dicts",
    "InputTruncated",
    "translate_texts",
    "Translator",
    "default_checkpoint",
    "read_pairs_file",
    "evaluate_translation",
    "validation_subset",
    "bleu_metric",
    "TrainedTranslator",
    "state_path_for",
    "train_translation",
    "save_half_precision",
]
