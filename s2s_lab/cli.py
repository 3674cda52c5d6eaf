"""The command line, ``python -m s2s_lab``: translate English into French, score a model, train one.

- ``translate [--checkpoint PATH] [--beam K | --sample --temperature T --top-k K --top-p P --seed S]
  [--input FILE]`` reads English sentences, one per line, from stdin (or FILE) and writes exactly one French
  line per input line, in order, to stdout; warnings and progress go to stderr only.
- ``evaluate --checkpoint PATH --pairs FILE.tsv [--beam K]`` prints corpus BLEU and chrF with sacreBLEU's
  signature, against every reference of each English sentence.
- ``train --model {transformer,rnn} ...`` runs the recipe of :mod:`s2s_lab.experiments.translation`.

``translate`` and ``evaluate`` also take ``--batch-size N`` (sentences decoded at once) and ``--threads N``
(CPU threads; default PyTorch's, one per core; on a machine busy with other work, 1 is often faster).

A missing or damaged file gives one sentence on stderr and exit code 2. The translation modules (and with them
sentencepiece and sacrebleu) are imported only when a command runs, so ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace

EXIT_ERROR = 2  # a missing or damaged file, or a setting that cannot work
EXIT_INTERRUPTED = 130  # Ctrl-C before anything could be kept


class CommandError(Exception):
    """An error for the user: printed as one sentence, exit code :data:`EXIT_ERROR`."""


# ----------------------------------------------------------------------------------------------
# Argument types: each refuses a bad value with one sentence naming what was expected
# ----------------------------------------------------------------------------------------------
def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    return parse


def _number(low: float, high: float | None = None, low_open: bool = True, high_open: bool = False):
    def parse(text: str) -> float:
        interval = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}{')' if high_open else ']'}"
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in {interval}, got {text!r}") from None
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high)
        )
        if not ok:
            raise argparse.ArgumentTypeError(f"expected a number in {interval}, got {text}")
        return value

    return parse


def _setting(text: str) -> tuple[str, object]:
    key, eq, value = text.partition("=")
    if not eq or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. d_model=128), got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value  # a plain word such as gru


# ----------------------------------------------------------------------------------------------
# The parser
# ----------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m s2s_lab",
        description="English → French translation with the models of s2s-lab: translate, evaluate, train.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{translate,evaluate,train}")

    p = sub.add_parser(
        "translate",
        help="translate English sentences (one per line) into French",
        description=(
            "Read English sentences, one per line, from stdin (or --input FILE) and write exactly one French "
            "line per input line, in order, to stdout. An empty line gives an empty line; an input longer "
            "than the model reads is cut, with a warning on stderr."
        ),
    )
    p.add_argument("--checkpoint", metavar="PATH", help="a checkpoint of `train` (default: the best shipped model)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--beam", type=_whole(1), default=5, metavar="K", help="beam width (default 5; 1: greedy)")
    how.add_argument("--sample", action="store_true", help="draw each translation instead of searching")
    p.add_argument("--temperature", type=_number(0), metavar="T", help="with --sample: temperature > 0 (default 1)")
    p.add_argument("--top-k", type=_whole(1), metavar="K", help="with --sample: keep the K most probable tokens")
    p.add_argument("--top-p", type=_number(0, 1), metavar="P", help="with --sample: keep the nucleus of mass P")
    p.add_argument("--seed", type=int, metavar="S", help="with --sample: the random seed (default 0)")
    p.add_argument("--input", metavar="FILE", help="read the sentences from FILE instead of stdin")
    p.add_argument("--device", help="cpu, cuda, ... (default: a GPU if present)")
    p.add_argument("--batch-size", type=_whole(1), default=32, metavar="N", help="sentences at once (default 32)")
    p.add_argument("--threads", type=_whole(1), metavar="N", help="CPU threads (default: PyTorch's, one per core)")

    p = sub.add_parser(
        "evaluate",
        help="corpus BLEU and chrF of a model on sentence pairs",
        description=(
            "Translate the English sentences of a file of 'English<TAB>French' lines (gzip if it ends in .gz) "
            "and print corpus BLEU and chrF (sacreBLEU) with their signatures, against every French "
            "translation of each English sentence."
        ),
    )
    p.add_argument("--checkpoint", metavar="PATH", required=True, help="a checkpoint of `train`")
    p.add_argument("--pairs", metavar="FILE.tsv", required=True, help="English<TAB>French lines, e.g. the test split")
    p.add_argument("--beam", type=_whole(1), default=5, metavar="K", help="beam width (default 5; 1: greedy)")
    p.add_argument("--device", help="cpu, cuda, ... (default: a GPU if present)")
    p.add_argument("--batch-size", type=_whole(1), default=32, metavar="N", help="sentences at once (default 32)")
    p.add_argument("--threads", type=_whole(1), metavar="N", help="CPU threads (default: PyTorch's, one per core)")

    p = sub.add_parser(
        "train",
        help="train an English → French model (the recipe of s2s_lab.experiments.translation)",
        description=(
            "Train the Transformer or the RNN with attention on the shipped English-French pairs, with "
            "validation BLEU at every evaluation; the best model so far is saved to --out (Ctrl-C keeps it), "
            "the training state next to it (for --resume). Unset options keep the recipe's values."
        ),
    )
    p.add_argument("--model", choices=("transformer", "rnn"), required=True, help="which recipe")
    p.add_argument("--out", metavar="PATH", help="the checkpoint to write (default eng-fra-MODEL.pt)")
    p.add_argument("--minutes", type=_number(0), metavar="M", help="time budget (default: the recipe's, 60)")
    p.add_argument("--device", help="cpu, cuda, ... (default: a GPU if present)")
    p.add_argument("--resume", action="store_true", help="go on from the training state saved next to --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--seed", type=int, metavar="S", help="initialisation and batch order")
    p.add_argument(
        "--dropout",
        type=_number(0, 1, low_open=False, high_open=True),
        metavar="P",
        help="dropout probability (recipes: 0.1; the shipped models: 0)",
    )
    p.add_argument("--label-smoothing", type=_number(0, 1, low_open=False, high_open=True), metavar="EPS")
    p.add_argument("--lr", type=_number(0), metavar="LR", help="peak learning rate")
    p.add_argument("--warmup", type=_whole(0), metavar="N", help="updates of warm-up (0: constant rate)")
    p.add_argument("--clip", type=_number(0, low_open=False), metavar="NORM", help="gradient norm (0: no clipping)")
    p.add_argument("--batch-size", type=_whole(1), metavar="N", help="sentence pairs per update")
    p.add_argument("--random-batches", action="store_true", help="random batches instead of batching by length")
    p.add_argument("--eval-every", type=_whole(1), metavar="N", help="updates between evaluations")
    p.add_argument("--valid-sentences", type=_whole(1), metavar="N", help="validation sentences for BLEU")
    p.add_argument("--patience", type=_whole(1), metavar="N", help="stop after N evaluations without a better BLEU")
    p.add_argument("--average", type=_whole(0), metavar="N", help="try the average of the last N evaluations")
    p.add_argument("--threads", type=_whole(1), metavar="N", help="CPU threads (default 1)")
    p.add_argument("--train-pairs", type=_whole(1), metavar="N", help="train on the first N pairs only")
    p.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model constructor argument, e.g. --set d_model=128 (repeatable)",
    )
    return parser


# ----------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------
def _device(name: str | None):
    """``--device`` as a ``torch.device`` (``None``: the default, a GPU if present), refused with one sentence
    if it is not a device name or not on this machine."""
    import torch

    if name is None:
        return None
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise CommandError(f"expected --device as a device name such as cpu or cuda, got {name!r}.") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, False):
        raise CommandError(f"there is no {device.type} device on this machine; use --device cpu or leave it out.")
    return device


def _load(path: str | None, device: str | None):
    from .experiments.translation import Translator

    device = _device(device)
    try:
        return Translator.load(path, device=device)
    except (FileNotFoundError, ValueError) as err:
        raise CommandError(str(err)) from None
    except RuntimeError as err:  # e.g. a device that is not there
        raise CommandError(f"could not load the model: {str(err).splitlines()[0]}") from None


def _lines(stream) -> Iterable[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def _chunks(lines: Iterable[str], size: int) -> Iterable[list[str]]:
    it = iter(lines)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def translate(args, stdin, stdout, stderr) -> int:
    from .experiments.translation import InputTruncated

    options = {"beam": args.beam, "batch_size": args.batch_size}
    sampling = [args.temperature, args.top_k, args.top_p, args.seed]
    if not args.sample and any(x is not None for x in sampling):
        raise CommandError("--temperature, --top-k, --top-p and --seed apply to --sample only; add --sample.")
    if args.sample:
        options = dict(
            sample=True,
            temperature=1.0 if args.temperature is None else args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            seed=0 if args.seed is None else args.seed,
            batch_size=args.batch_size,
        )
    if args.input is not None:
        try:
            source = open(args.input, encoding="utf-8", errors="replace")  # closed below
        except OSError as err:
            raise CommandError(f"cannot read the input file '{args.input}' ({err.strerror}).") from None
    else:
        source = stdin
    size = 1 if source.isatty() else 64  # typed lines are answered one by one
    done = 0
    try:
        translator = _load(args.checkpoint, args.device)
        for chunk in _chunks(_lines(source), size):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = translator.translate(chunk, **options)
            for w in caught:
                if isinstance(w.message, InputTruncated):
                    m = w.message
                    print(
                        f"warning: line {done + m.index + 1} has {m.length} subwords; the model reads at most "
                        f"{m.limit}, so only its first {m.limit} were translated.",
                        file=stderr,
                    )
                else:
                    print(f"warning: {w.message}", file=stderr)
            for text in out:
                print(" ".join(text.split()), file=stdout)  # one line, whatever the model wrote
            stdout.flush()
            done += len(chunk)
    finally:
        if source is not stdin:
            source.close()
    return 0


def evaluate(args, stdout) -> int:
    from .experiments.translation import evaluate_translation, read_pairs_file

    translator = _load(args.checkpoint, args.device)
    try:
        pairs = read_pairs_file(args.pairs)
    except (FileNotFoundError, ValueError) as err:
        raise CommandError(str(err)) from None
    scores = evaluate_translation(translator, pairs, beam=args.beam, batch_size=args.batch_size, progress=True)
    print(f"{scores['sentences']} sentences, beam {args.beam}, checkpoint {args.checkpoint}", file=stdout)
    print(scores["BLEU"], file=stdout)
    print(scores["chrF2"], file=stdout)
    return 0


def train(args, argv: Sequence[str]) -> int:
    from .experiments.translation import RECIPES, train_translation

    recipe = RECIPES[args.model]
    changes = {
        "seed": args.seed,
        "dropout": args.dropout,
        "label_smoothing": args.label_smoothing,
        "lr": args.lr,
        "warmup": args.warmup,
        "batch_size": args.batch_size,
        "eval_every": args.eval_every,
        "n_valid": args.valid_sentences,
        "patience": args.patience,
        "average": args.average,
        "threads": args.threads,
        "n_train": args.train_pairs,
        "minutes": args.minutes,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.clip is not None:
        changes["clip"] = args.clip or None
    if args.random_batches:
        changes["by_length"] = False
    if args.set:
        changes["model"] = {**recipe.model, **dict(args.set)}
    try:
        recipe = replace(recipe, **changes)
        out = args.out or f"eng-fra-{args.model}.pt"
        command = "python -m s2s_lab " + " ".join(argv)
        train_translation(
            recipe, out, device=_device(args.device), resume=args.resume, progress=not args.no_progress, command=command
        )
    except (FileNotFoundError, ValueError, TypeError, RuntimeError) as err:
        raise CommandError(str(err).splitlines()[0]) from None
    return 0


def main(argv: Sequence[str] | None = None, stdin=None, stdout=None, stderr=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    for stream in (stdin, stdout, stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stderr)
        return EXIT_ERROR
    try:
        if args.command in ("translate", "evaluate"):
            from .training import num_threads

            with num_threads(args.threads):
                return translate(args, stdin, stdout, stderr) if args.command == "translate" else evaluate(args, stdout)
        return train(args, argv)
    except CommandError as err:
        print(f"error: {err}", file=stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted.", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. piped into `head`
        return 0


__all__ = ["build_parser", "main", "CommandError", "EXIT_ERROR"]
