"""How far can single-reference BLEU go on this test split? Score one human translation against another.

    python bench/human_agreement.py [--checkpoint NAME=PATH ...] [--threads 1]

Many English sentences of the test split have several French translations (Tatoeba's translators). Take
every test pair ``(English, French_j)`` whose English sentence has at least one *other*, different French
translation, and score, with one reference per pair exactly as the test BLEU does (sacreBLEU corpus BLEU,
13a):

- ``human``: the hypothesis is another translator's French for the same sentence (the next distinct one,
  cyclically), the reference is ``French_j``. A correct translation that its reference did not choose.
- each shipped model's stored beam-5 translation (``data/eng-fra-test-translations.tsv.gz``) on the same pairs;
- each ``--checkpoint`` (e.g. the tutorial recipe's model from ``bench/bench_vs_tutorial.py``), translated now
  with beam 5.

A model's single-reference BLEU can exceed ``human``: a model that writes the most common phrasing matches
more references than a translator who picked another correct one. The number bounds what the test BLEU
measures, not what a model can do; it is reported beside the models to put a target in scale.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from s2s_lab.bleu import corpus_bleu
from s2s_lab.experiments.translation import Translator
from s2s_lab.experiments.translation_eval import load_translations
from s2s_lab.translation_data import load_pairs, load_references


def other_translation_pairs() -> list[tuple[str, str, str]]:
    """``(English, reference, another translator's French)`` for every test pair that has another, different
    French translation of its English sentence."""
    groups = {en: list(dict.fromkeys(refs)) for en, refs in load_references("test")}
    out = []
    for en, fr in load_pairs("test"):
        distinct = groups[en]
        if len(distinct) < 2:
            continue
        other = distinct[(distinct.index(fr) + 1) % len(distinct)]
        out.append((en, fr, other))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    triples = other_translation_pairs()
    english = [en for en, _, _ in triples]
    refs = [fr for _, fr, _ in triples]
    rows = {"human (another translation)": corpus_bleu([o for _, _, o in triples], refs)}
    for (model, decoding), outputs in sorted(load_translations().items()):
        if decoding == "beam5":
            rows[f"{model}, beam 5 (shipped)"] = corpus_bleu([outputs[en] for en in english], refs)
    for name, path in (c.split("=", 1) for c in args.checkpoint):
        start = time.perf_counter()
        unique = list(dict.fromkeys(english))
        out = dict(zip(unique, Translator.load(path).translate(unique, beam=5, alpha=0.6)))
        rows[f"{name}, beam 5"] = corpus_bleu([out[en] for en in english], refs)
        print(f"translated {len(unique)} sentences with {name} in {time.perf_counter() - start:.1f} s")
    n_sent = len(set(english))
    print(f"{len(triples)} test pairs ({n_sent} English sentences) have another, different French translation\n")
    print("| hypothesis | BLEU, one reference |\n|---|---:|")
    for name, score in rows.items():
        print(f"| {name} | {score.score:.2f} |")
    print(f"\nsignature: {next(iter(rows.values())).signature}")
    print(json.dumps({name: round(s.score, 2) for name, s in rows.items()}))


if __name__ == "__main__":
    main()
