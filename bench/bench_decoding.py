"""Speed of Transformer decoding with and without the key/value cache, on the CPU.

    python bench/bench_decoding.py [--threads 2] [--repeat 3]

A Seq2SeqTransformer with d_model=256, 4 heads, 3 encoder + 3 decoder layers, d_ff=1024 and vocabularies of
8000 (random weights: the speed does not depend on training) greedy-decodes 200 random sources of 15-25
tokens, max_len=25 output tokens:

- uncached: ``model.greedy_decode``, which runs the decoder over the whole prefix at every step;
- cached: ``s2s_lab.decoding.greedy``, one position per step with the key/value cache
  (``Seq2SeqTransformer.decode_step``);

both as one batch of 200 and one sentence at a time (the first 20 sentences), median of ``--repeat`` runs.
The two must write the same tokens (checked). Then beam search (k=5, alpha=0.6) on the batch of 200.

On a machine shared with other busy processes use ``--threads 1``: threads that wait for each other on
oversubscribed cores are slow (measured once, at a load average of 11 on 2 cores: one sentence's uncached
greedy decoding took 24 s with 2 threads, 0.5 s with 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from s2s_lab import PAD, UNK, Seq2SeqTransformer
from s2s_lab.decoding import beam_search, greedy


def median_s(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls (the tokens check in main() has warmed both paths up)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 on a busy machine)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    V, N, max_len = 8000, 200, 25
    model = Seq2SeqTransformer(
        V, V, d_model=256, nhead=4, num_encoder_layers=3, num_decoder_layers=3, dim_feedforward=1024, max_len=64
    ).eval()
    with torch.no_grad():  # s2s_lab.decoding never writes <pad> or <unk>; make greedy_decode avoid them too
        model.generator.bias[[PAD, UNK]] -= 100.0
    lengths = torch.randint(15, 26, (N,))
    mask = torch.arange(int(lengths.max())) < lengths[:, None]  # (N, S) True = real token
    src = torch.randint(4, V, mask.shape).masked_fill(~mask, 0)  # (N, S)

    tokens, _ = model.greedy_decode(src, mask, max_len)
    hyps = greedy(model, src, mask, max_len)
    assert all(h.tokens == tokens[b, : len(h)].tolist() for b, h in enumerate(hyps)), "cached != uncached"
    print(
        f"{torch.get_num_threads()} threads; d_model=256, 3+3 layers, V={V}; {N} sources of 15-25 tokens, "
        f"{tokens.shape[1]} output tokens each (max_len={max_len}); median of {args.repeat}; "
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'':28s} {'uncached (s)':>13s} {'cached (s)':>11s} {'speed-up':>9s}")
    t_un = median_s(lambda: model.greedy_decode(src, mask, max_len), args.repeat)
    t_ca = median_s(lambda: greedy(model, src, mask, max_len), args.repeat)
    print(f"{'greedy, one batch of 200':28s} {t_un:13.2f} {t_ca:11.2f} {t_un / t_ca:8.1f}x")
    few = range(20)
    one = lambda fn: [fn(src[b : b + 1, : lengths[b]], mask[b : b + 1, : lengths[b]]) for b in few]  # noqa: E731
    t_un = median_s(lambda: one(lambda s, m: model.greedy_decode(s, m, max_len)), args.repeat)
    t_ca = median_s(lambda: one(lambda s, m: greedy(model, s, m, max_len)), args.repeat)
    print(f"{'greedy, 20 one at a time':28s} {t_un:13.2f} {t_ca:11.2f} {t_un / t_ca:8.1f}x")
    t_beam = median_s(lambda: beam_search(model, src, mask, k=5, max_len=max_len, tree_pruned=0), args.repeat)
    print(f"{'beam k=5, one batch of 200':28s} {'':13s} {t_beam:11.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
