r"""Our Transformer recipe against the recipe of PyTorch's seq2seq tutorial, for the same CPU minutes (issue 10).

    python bench/bench_vs_tutorial.py --minutes 60                 # one after the other, 1 thread each
    python bench/bench_vs_tutorial.py --minutes 60 --parallel      # both at once, 1 thread each (2 cores)
    python bench/bench_vs_tutorial.py --minutes 0.3 --train-pairs 2000 --valid-sentences 20 --test-sentences 50
                                                                   # a smoke test: checks it runs, measures nothing

**What is compared.** Two recipes (:class:`~s2s_lab.experiments.translation.TranslationRecipe`), each trained
by :func:`~s2s_lab.experiments.translation.train_translation` for the same wall-clock budget of ``--minutes``
on the same shipped English → French split, with the same shipped subword models (4,000 SentencePiece BPE
pieces per language), the same seed, the same evaluations (greedy validation BLEU on ``n_valid`` sentences
every ``eval_every`` updates, the best one kept) and the same test (beam 5 on the 1,000 test sentences,
sacreBLEU, against the first reference and against all references; ``bench/translation_arms.py``):

- **transformer**: :data:`~s2s_lab.experiments.translation.TRANSFORMER`, unchanged (pre-norm, d_model 256,
  3 + 3 layers, dropout 0.1, label smoothing 0.1, warm-up 1,000 then inverse square root, clipping at 1,
  batches of 64 by length);
- **tutorial**: :data:`TUTORIAL`, the training recipe of the newer version of PyTorch's tutorial
  *NLP From Scratch: Translation with a Sequence to Sequence Network and Attention* (GRU encoder, GRU
  decoder with Bahdanau attention, hidden and embedding size 128, one direction, batches of 32 drawn at
  random, Adam with :math:`\eta = 10^{-3}` and the default :math:`\beta = (0.9, 0.999)`, dropout 0.1, the
  plain negative log-likelihood: no label smoothing, no warm-up, no clipping), expressed with our
  :class:`~s2s_lab.Seq2Seq`.

It prints, and writes to ``OUT_DIR.json`` (with the checkpoints in ``OUT_DIR/``; default
``bench/results/vs-tutorial-mM-sSEED``), each recipe's parameters, updates made, validation BLEU, test BLEU and
chrF with sacreBLEU's signatures, and the ratio :math:`r = \mathrm{BLEU}_\mathrm{transformer} /
\mathrm{BLEU}_\mathrm{tutorial}` (single and multi-reference), plus the load average before and after.

**Where "tutorial" differs from the tutorial.** Only the recipe is the tutorial's; the data and the model code
are ours:

- *Data.* The tutorial translates French → English, lower-cases its text, strips accents (to ASCII) and the
  punctuation but ``!`` and ``?``, uses a word vocabulary, and keeps only pairs of fewer than 10 words whose
  English starts with "i am", "he is", "you are", ... Here both recipes translate English → French real text (case,
  accents, punctuation) split into our subwords, on the whole training split (pairs of at most 64 subwords a
  side). BLEU of lower-cased, accent-stripped output against real references would be meaningless, and a
  model trained on "i am / he is" sentences cannot be tested on the test split. It also trains for 80 epochs
  of its small set; here both get the same minutes.
- *Padding.* The tutorial pads every sentence (its words and the end token) to 10 positions with id 0 (its
  start token), runs the encoder over the padding, attends over all 10 positions and averages the loss over
  all of them (it learns to write 0 after the end). Ours carries the encoder state over padding, masks it out
  of the attention and averages the loss over the real tokens only
  (:func:`~s2s_lab.training.masked_cross_entropy`).
- *Decoder.* Both are Bahdanau's (the previous state :math:`s_{t-1}` is the query; :math:`[e(y_{t-1}); c_t]`
  enters the GRU). Ours starts from :math:`s_0 = \tanh(W_s h_S + b_s)` (the tutorial: :math:`s_0 = h_S`),
  predicts from :math:`W_o [s_t; c_t; e(y_{t-1})]` (the tutorial: :math:`W_o s_t`), applies dropout to that
  input as well as to the embeddings (the tutorial: embeddings only), and its additive score
  :math:`v_a^\top \tanh(W_q s_{t-1} + W_k h_j)` has no biases (the tutorial's :math:`W_a, U_a` have).
- *Optimiser.* The tutorial has one Adam for the encoder and one for the decoder; with the same settings that
  is the same update as one Adam over all parameters (Adam works parameter by parameter).
- *Evaluation.* The tutorial keeps the last weights and decodes greedily; here both keep the weights of the
  best validation BLEU and are tested with beam search (width 5), the same for both.

**Caveats.**

- The budget is wall-clock time, evaluations included: a busy machine gives fewer updates, and the recipe
  with the faster updates also evaluates more often (every ``eval_every`` updates). The JSON records the updates,
  the CPU time each training got and the load average: compare runs made on the same, otherwise idle
  machine. With ``--parallel`` the two share the memory bandwidth of one machine.
- A short budget favours what learns early (a smaller model, no warm-up); the order may change with more
  minutes. Results vary with the seed (initialisation and batch order): repeat with ``--seed 1``, ``2``.
- ``--train-pairs``, ``--valid-sentences`` and ``--test-sentences`` are for smoke tests only: their numbers
  measure nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translation_arms import RESULTS, machine, ratio, run_arms, write_json  # noqa: E402

from s2s_lab.experiments.translation import TRANSFORMER, TranslationRecipe  # noqa: E402

# The newer tutorial's recipe (see the docstring for what is not the tutorial's); the settings the tutorial
# does not have (max_len, eval_every, n_valid, ...) are the TRANSFORMER recipe's, the same for both.
TUTORIAL = TranslationRecipe(
    kind="rnn",
    model=dict(emb_size=128, hidden_size=128, cell="gru", bidirectional=False, attention="additive", attn_size=128),
    dropout=0.1,
    label_smoothing=0.0,
    lr=1e-3,
    betas=(0.9, 0.999),
    warmup=0,
    clip=None,
    batch_size=32,
    by_length=False,
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--minutes", type=float, metavar="M", required=True, help="training budget of each recipe (wall clock)"
    )
    p.add_argument("--threads", type=int, metavar="N", default=1, help="CPU threads of each training (default 1)")
    p.add_argument("--seed", type=int, metavar="N", default=0, help="initialisation and batch order (default 0)")
    p.add_argument("--parallel", action="store_true", help="train both at once, in two processes of 1 thread")
    p.add_argument(
        "--arms",
        nargs="+",
        choices=["transformer", "tutorial"],
        default=["transformer", "tutorial"],
        help="train only these (e.g. only the tutorial, to compare with the shipped Transformer's 60 minutes)",
    )
    p.add_argument("--out-dir", type=Path, metavar="OUT_DIR", help="checkpoints here, results in OUT_DIR.json")
    p.add_argument("--beam", type=int, metavar="N", default=5, help="beam width of the test translations (default 5)")
    p.add_argument(
        "--eval-every", type=int, metavar="N", help=f"updates between evaluations (default {TRANSFORMER.eval_every})"
    )
    p.add_argument(
        "--valid-sentences", type=int, metavar="N", help=f"validation BLEU sentences (default {TRANSFORMER.n_valid})"
    )
    p.add_argument("--train-pairs", type=int, metavar="N", help="smoke tests: train on the first N pairs only")
    p.add_argument("--test-sentences", type=int, metavar="N", help="smoke tests: test on the first N sentences only")
    args = p.parse_args()
    if not args.minutes > 0:
        p.error(f"expected --minutes > 0, got {args.minutes}")
    if args.parallel and args.threads != 1:
        p.error(f"--parallel runs two trainings of 1 thread each; leave out --threads {args.threads}")

    common = {"minutes": args.minutes, "threads": args.threads, "seed": args.seed, "n_train": args.train_pairs}
    if args.eval_every is not None:
        common["eval_every"] = args.eval_every
    if args.valid_sentences is not None:
        common["n_valid"] = args.valid_sentences
    arms = {"transformer": replace(TRANSFORMER, **common), "tutorial": replace(TUTORIAL, **common)}
    arms = {name: recipe for name, recipe in arms.items() if name in args.arms}
    out_dir = args.out_dir or RESULTS / f"vs-tutorial-m{args.minutes:g}-s{args.seed}"
    before = machine()
    how = "at once (2 processes)" if args.parallel else "one after the other"
    print(f"{args.minutes:g} minutes each, {args.threads} thread(s), seed {args.seed}, {how}", flush=True)
    print(f"load average before: {before['load_average']}, torch {before['torch']}", flush=True)
    results = run_arms(
        arms,
        out_dir,
        jobs=2 if args.parallel else 1,
        beam=args.beam,
        test_sentences=args.test_sentences,
        command="python " + " ".join(sys.argv),
    )
    after = machine()

    n = results[0]["test"]["sentences"]
    print(f"\nload average after: {after['load_average']}")
    print(
        f"{'recipe':12s} {'parameters':>10s} {'updates':>8s} {'valid BLEU':>10s} "
        f"{'test BLEU 1 ref':>15s} {'all refs':>8s} {'chrF all':>8s}  (beam {args.beam}, {n} sentences)"
    )
    for res in results:
        te = res["test"]
        print(
            f"{res['arm']:12s} {res['parameters']:10,d} {res['updates']:8d} {res['valid']['bleu']:10.2f} "
            f"{te['single']['bleu']:15.2f} {te['multi']['bleu']:8.2f} {te['multi']['chrf']:8.2f}"
        )
    ratios = None
    if len(results) == 2:
        t, r = results
        ratios = {k: ratio(t["test"][k]["bleu"], r["test"][k]["bleu"]) for k in ("single", "multi")}
        shown = {k: "undefined (tutorial BLEU 0)" if v is None else f"{v:.2f}" for k, v in ratios.items()}
        print(f"ratio transformer / tutorial, test BLEU: {shown['single']} (1 reference), {shown['multi']} (all)")
    print(f"signature, 1 reference: {results[0]['test']['single']['bleu_signature']}")
    print(f"signature, all references: {results[0]['test']['multi']['bleu_signature']}")
    path = write_json(
        out_dir.parent / f"{out_dir.name}.json",
        {
            "benchmark": "transformer recipe vs the PyTorch tutorial's recipe, same minutes",
            "command": "python " + " ".join(sys.argv),
            "minutes": args.minutes,
            "seed": args.seed,
            "parallel": args.parallel,
            "before": before,
            "after": after,
            "ratio_test_bleu": ratios,
            "arms": results,
        },
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
