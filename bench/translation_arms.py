r"""What ``bench/bench_vs_tutorial.py`` and ``bench/ablations.py`` share (a module, not a script): train
English → French recipes with :func:`s2s_lab.experiments.translation.train_translation` (no training loop of
its own), score each trained model on the shipped test split, and run several such *arms* one after the
other or in separate processes.

**Test scores.** The test split has 1,000 English sentences, some with several French translations
(:func:`s2s_lab.translation_data.load_references`). Each English sentence is translated once (beam search,
width :math:`k`, length normalisation :math:`\alpha = 0.6`) and scored with sacreBLEU
(:mod:`s2s_lab.bleu`) twice: against its *first* French translation (single reference, ``nrefs:1``) and
against *all* of them (multi-reference). The model tested is the one :func:`train_translation` kept: the
evaluation with the best validation BLEU (greedy, on ``recipe.n_valid`` validation sentences).
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import sacrebleu
import torch
from tqdm.auto import tqdm

from s2s_lab.bleu import score_translations
from s2s_lab.experiments.translation import TranslationRecipe, Translator, train_translation
from s2s_lab.training import count_parameters, num_threads
from s2s_lab.translation_data import load_references

RESULTS = Path(__file__).resolve().parent / "results"  # ignored by git


def test_scores(translator: Translator, beam: int = 5, sentences: int | None = None, threads: int | None = 1) -> dict:
    """Translate the first ``sentences`` English sentences of the test split (``None``: all 1,000) with beam
    width ``beam`` and score them: ``{"sentences", "beam", "seconds", "single": {...}, "multi": {...}}``, where
    ``single`` and ``multi`` each hold ``bleu``, ``chrf`` (0-100), sacreBLEU's ``signature`` of each and the
    BLEU ``detail`` line (n-gram precisions, brevity penalty, lengths); ``examples``: five sentences with their
    references and output, spread over the split."""
    groups = load_references("test")[:sentences]
    start = time.perf_counter()
    with num_threads(threads):
        hyps = translator.translate([en for en, _ in groups], beam=beam)
    seconds = time.perf_counter() - start
    out = {"sentences": len(groups), "beam": beam, "seconds": round(seconds, 1)}
    for name, refs in (("single", [r[0] for _, r in groups]), ("multi", [r for _, r in groups])):
        s = score_translations(hyps, refs)
        out[name] = {
            "bleu": s["BLEU"].score,
            "chrf": s["chrF2"].score,
            "bleu_signature": s["BLEU"].signature,
            "chrf_signature": s["chrF2"].signature,
            "bleu_detail": s["BLEU"].detail,
        }
    step = max(len(hyps) // 5, 1)  # five examples spread over the split, for a look at the output
    out["examples"] = [{"en": en, "refs": refs, "hyp": hyp} for (en, refs), hyp in list(zip(groups, hyps))[::step]]
    return out


def run_arm(
    name: str,
    recipe: TranslationRecipe,
    out_dir: str | Path,
    beam: int = 5,
    test_sentences: int | None = None,
    progress: bool = True,
    command: str = "",
) -> dict:
    """Train ``recipe`` into ``out_dir/NAME.pt`` with :func:`train_translation`, test the kept model
    (:func:`test_scores`) and return a plain dict (JSON-ready) of what happened:

    - ``updates``, ``stopped``, ``train_seconds`` (fit's wall clock, evaluations included),
      ``call_seconds`` and ``call_cpu_seconds`` (wall clock and CPU time of this process for the whole
      :func:`train_translation` call, data loading included: their ratio shows how much of a core it got);
    - ``final_train_loss``: the mean training loss over the updates since the evaluation before the last (since
      the start if there was only one; label-smoothed where the recipe smooths), ``final_update``;
    - ``valid``: the kept evaluation's validation ``bleu``, ``chrf`` (greedy) and ``loss`` (teacher-forced,
      first references, no smoothing), its ``update``, and the number of ``sentences``;
    - ``test``: :func:`test_scores`; ``parameters``; ``recipe``; ``checkpoint``.

    The resumable training state written next to the checkpoint is deleted afterwards (a benchmark does not
    resume; it is three times the checkpoint's size).
    """
    out = Path(out_dir) / f"{name}.pt"

    def log(message: str) -> None:
        tqdm.write(f"[{name}] {message}", file=sys.stderr)  # between the progress bar's updates

    wall, cpu = time.perf_counter(), time.process_time()
    trained = train_translation(recipe, out, progress=progress, log=log, command=command)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    trained.state_path.unlink(missing_ok=True)
    h = trained.history
    last = [e for e in h.evals if "averaged" not in e][-1]
    extra = trained.translator.extra
    log(f"testing: beam {beam} on the test split")
    test = test_scores(trained.translator, beam, test_sentences, recipe.threads)
    log(f"test BLEU {test['single']['bleu']:.2f} (1 reference), {test['multi']['bleu']:.2f} (all references)")
    return {
        "arm": name,
        "recipe": asdict(recipe),
        "parameters": count_parameters(trained.translator.model),
        "updates": len(h.updates),
        "stopped": h.stopped,
        "train_seconds": round(h.seconds, 1),
        "call_seconds": round(wall, 1),
        "call_cpu_seconds": round(cpu, 1),
        "evaluations": len(h.evals),
        "final_update": last["update"],
        "final_train_loss": last["train_loss"],
        "valid": {**extra["valid"], "update": extra["update"], "sentences": recipe.n_valid, "decoding": "greedy"},
        "test": test,
        "checkpoint": str(out),
    }


def run_arms(arms: Mapping[str, TranslationRecipe], out_dir: str | Path, jobs: int = 1, **options) -> list[dict]:
    """:func:`run_arm` for every ``name: recipe`` of ``arms`` (``options`` go to each), in order; with
    ``jobs > 1``, that many at once in separate processes (started fresh, "spawn"; no progress bars, the
    log lines name their arm). The results come back in the order of ``arms``."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"expected jobs as a whole number >= 1, got {jobs!r}.")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if jobs == 1:
        return [run_arm(name, recipe, out_dir, **options) for name, recipe in arms.items()]
    options = {**options, "progress": False}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(run_arm, name, recipe, out_dir, **options) for name, recipe in arms.items()]
        return [f.result() for f in futures]


def machine() -> dict:
    """When and where: UTC time, versions, CPU count and the load average (1, 5, 15 minutes)."""
    return {
        "utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "sacrebleu": sacrebleu.__version__,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_json(path: str | Path, data: dict) -> Path:
    """Write ``data`` as indented UTF-8 JSON (accents kept as they are) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def ratio(a: float, b: float) -> float | None:
    """:math:`a / b`, or ``None`` when :math:`b = 0` (an untrained model's BLEU can be 0)."""
    return a / b if b else None
