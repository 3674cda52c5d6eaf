"""The command line, python -m s2s_lab: --help everywhere; translate keeps one output line per input line,
in order, with warnings on stderr only; missing and damaged checkpoints give one sentence and exit code 2;
evaluate prints BLEU and chrF with the signature; train writes a checkpoint that translate reads."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _tiny_translation import TINY_MODEL

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
LONG = " ".join(["word"] * 500)


def run(*args, stdin="", cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "s2s_lab", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        cwd=cwd,
        timeout=120,
    )


def one_sentence_error(proc) -> str:
    """The process failed with exit code 2 and one line on stderr, a sentence starting with 'error:'."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith("."), proc.stderr
    assert proc.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny Transformer trained by the `train` command itself (a few seconds)."""
    folder = tmp_path_factory.mktemp("cli")
    sets = [x for k, v in TINY_MODEL.items() for x in ("--set", f"{k}={v}")]
    proc = run(
        "train", "--model", "transformer", *sets, "--train-pairs", 64, "--batch-size", 16, "--valid-sentences", 4,
        "--warmup", 10, "--lr", 3e-3, "--eval-every", 10, "--minutes", 0.03, "--device", "cpu", "--no-progress",
        "--out", folder / "tiny.pt",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "BLEU" in proc.stderr and "(best so far: saved)" in proc.stderr
    assert (folder / "tiny.pt").is_file() and (folder / "tiny.state.pt").is_file()
    return folder / "tiny.pt"


# ---------------------------------------------------------------------------------------------- --help
def test_help_lists_the_three_commands():
    proc = run("--help")
    assert proc.returncode == 0 and all(c in proc.stdout for c in ("translate", "evaluate", "train"))


@pytest.mark.parametrize(
    "command, options",
    [
        (
            "translate",
            [
                "--checkpoint",
                "--beam",
                "--sample",
                "--temperature",
                "--top-k",
                "--top-p",
                "--seed",
                "--input",
                "--threads",
            ],
        ),
        ("evaluate", ["--checkpoint", "--pairs", "--beam", "--batch-size", "--threads"]),
        ("train", ["--model", "--out", "--minutes", "--device", "--resume", "--label-smoothing", "--warmup"]),
    ],
)
def test_every_command_has_help(command, options):
    proc = run(command, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith(f"usage: python -m s2s_lab {command}")
    assert all(o in proc.stdout for o in options)


# ---------------------------------------------------------------------------------------------- translate
def test_translate_writes_one_line_per_input_line_in_order(checkpoint, tmp_path):
    from s2s_lab.experiments.translation import InputTruncated, Translator

    lines = ["I am hungry.", "", LONG, "zzqx blorf vrumpf qwxj", "Tom is here.", "   ", "Where is the station?"]
    proc = run("translate", "--checkpoint", checkpoint, stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split("\n")
    assert out[-1] == "" and len(out) - 1 == len(lines)  # exactly one line per input line
    with pytest.warns(InputTruncated, match="input 3 has"):
        expected = Translator.load(checkpoint, device="cpu").translate(lines, beam=5)
    assert out[:-1] == expected and out[1] == out[5] == ""
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: line 3 has") and "at most 40" in warnings[0]
    assert "warning" not in proc.stdout
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = ("--input", tmp_path / "in.txt", "--threads", 2, "--batch-size", 2)  # other batches: the same
    from_file = run("translate", "--checkpoint", checkpoint, *options)
    assert from_file.stdout == proc.stdout


def test_translate_samples_reproducibly(checkpoint):
    args = ("translate", "--checkpoint", checkpoint, "--sample", "--temperature", 1.5, "--top-p", 0.9, "--seed", 4)
    a, b = run(*args, stdin="I am hungry.\n\nTom is here.\n"), run(*args, stdin="I am hungry.\n\nTom is here.\n")
    assert a.returncode == 0 and a.stdout == b.stdout and len(a.stdout.split("\n")) == 4
    message = one_sentence_error(run("translate", "--checkpoint", checkpoint, "--top-k", 5))
    assert "apply to --sample only" in message


def test_a_missing_or_damaged_checkpoint_gives_one_sentence_and_exit_code_2(checkpoint, tmp_path):
    assert "no checkpoint at" in one_sentence_error(run("translate", "--checkpoint", tmp_path / "nope.pt"))
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(checkpoint.read_bytes()[:5000])
    assert "damaged" in one_sentence_error(run("translate", "--checkpoint", damaged, stdin="Hello.\n"))
    assert "damaged" in one_sentence_error(run("evaluate", "--checkpoint", damaged, "--pairs", damaged))
    message = one_sentence_error(run("translate", "--checkpoint", checkpoint, "--device", "gpu0"))
    assert "expected --device as a device name" in message


def test_translate_without_a_checkpoint_uses_the_shipped_transformer():
    proc = run("translate", stdin="I am hungry.\n\nWhere is the station?\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert "faim" in lines[0] and "gare" in lines[2]  # the shipped model translates these two words right


def test_without_any_shipped_model_the_message_says_how_to_train_one(monkeypatch):
    from s2s_lab.experiments import translation

    monkeypatch.setattr(translation, "SHIPPED", ("no-such-model.pt",))
    with pytest.raises(FileNotFoundError, match="no trained English→French model is shipped yet.*s2s_lab train"):
        translation.default_checkpoint()


# ---------------------------------------------------------------------------------------------- evaluate
def test_evaluate_prints_bleu_and_chrf_with_the_signature(checkpoint, tmp_path):
    pairs = tmp_path / "pairs.tsv.gz"
    pairs.write_bytes(gzip.compress(b"I am hungry.\tJ'ai faim.\nI am hungry.\tJ'ai la dalle.\nGo.\tVa !\n"))
    proc = run("evaluate", "--checkpoint", checkpoint, "--pairs", pairs, "--beam", 2)
    assert proc.returncode == 0, proc.stderr
    head, bleu, chrf = proc.stdout.strip().splitlines()
    assert head.startswith("2 sentences, beam 2")
    assert bleu.startswith("BLEU = ") and "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0" in bleu
    assert chrf.startswith("chrF2 = ") and "nrefs:var|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0" in chrf
    bad = tmp_path / "bad.tsv"
    bad.write_text("only English here\n", encoding="utf-8")
    assert "line 1: expected 'English<TAB>French'" in one_sentence_error(
        run("evaluate", "--checkpoint", checkpoint, "--pairs", bad)
    )


# ---------------------------------------------------------------------------------------------- train
def test_train_resumes_and_refuses_what_it_cannot_do(checkpoint, tmp_path):
    proc = run("train", "--model", "transformer", "--resume", "--out", tmp_path / "none.pt")
    assert "nothing to resume" in one_sentence_error(proc)
    proc = run("train", "--model", "rnn", "--out", tmp_path / "missing" / "m.pt")
    assert "does not exist" in one_sentence_error(proc)
    proc = run("train", "--model", "rnn", "--dropout", 1.5)
    assert proc.returncode == 2 and "expected a number in [0, 1)" in proc.stderr
