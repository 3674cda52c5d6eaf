"""Notebook-08 self-checks: right answers pass, each classic mistake gets its own message, crashes become
sentences."""

import math

import pytest
import torch

from s2s_lab.exercises.decoding import check_beam_step, check_length_normalisation, check_temperature_sampling


def _verdict(capsys, ok, check, fn, words):
    assert check(fn) is ok
    out = capsys.readouterr().out
    assert ("✓ Correct" if ok else "✗ Not yet") in out and words in out, out


# ---------------------------------------------------------------------------------------------
# One beam-search step
# ---------------------------------------------------------------------------------------------
def step_right(open_lp, log_probs, eos):
    k, V = log_probs.shape
    cand = (open_lp[:, None] + log_probs).view(-1)  # (k*V,)
    lp, idx = cand.topk(2 * k)
    kept, finished = [], []
    for rank, (score, i) in enumerate(zip(lp.tolist(), idx.tolist())):
        parent, token = divmod(i, V)
        if token == eos:
            if rank < k:
                finished.append((score, parent))
        elif len(kept) < k:
            kept.append((score, parent, token))
    return kept, finished


def step_eos_stays_open(open_lp, log_probs, eos):
    k, V = log_probs.shape
    lp, idx = (open_lp[:, None] + log_probs).view(-1).topk(k)
    return [(s, i // V, i % V) for s, i in zip(lp.tolist(), idx.tolist())], []


def step_too_few_kept(open_lp, log_probs, eos):
    k, V = log_probs.shape
    lp, idx = (open_lp[:, None] + log_probs).view(-1).topk(k)
    kept = [(s, i // V, i % V) for s, i in zip(lp.tolist(), idx.tolist()) if i % V != eos]
    return kept, [(s, i // V) for s, i in zip(lp.tolist(), idx.tolist()) if i % V == eos]


def step_without_history(open_lp, log_probs, eos):
    return step_right(torch.zeros_like(open_lp), log_probs, eos)


def step_best_per_parent(open_lp, log_probs, eos):
    kept = []
    for j in range(len(open_lp)):
        row = log_probs[j].clone()
        row[eos] = -math.inf
        w = int(row.argmax())
        kept.append((float(open_lp[j] + row[w]), j, w))
    return sorted(kept, reverse=True), step_right(open_lp, log_probs, eos)[1]


def step_every_eos_finished(open_lp, log_probs, eos):
    kept, _ = step_right(open_lp, log_probs, eos)
    return kept, [(float(open_lp[j] + log_probs[j, eos]), j) for j in range(len(open_lp))]


def test_beam_step_check(capsys):
    _verdict(capsys, True, check_beam_step, step_right, "as beam_step does")
    cases = {
        "is finished; set it aside": step_eos_stays_open,
        "take the k best of the others": step_too_few_kept,
        "add the open hypothesis' log P(y | x)": step_without_history,
        "rank all k*V candidates together": step_best_per_parent,
        "only those among the k best": step_every_eos_finished,
        "ZeroDivisionError": lambda o, lp, e: 1 / 0,
        "return a pair (kept, finished)": lambda o, lp, e: "kept",
        "nothing finished": lambda o, lp, e: (step_right(o, lp, e)[0], []),
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_beam_step, fn, words)


# ---------------------------------------------------------------------------------------------
# Length normalisation
# ---------------------------------------------------------------------------------------------
def test_length_normalisation_check(capsys):
    _verdict(capsys, True, check_length_normalisation, lambda lp, n, a: lp / ((5 + n) / 6) ** a, "length_penalty")
    cases = {
        "you multiply by lp(y)": lambda lp, n, a: lp * ((5 + n) / 6) ** a,
        "'power' penalty": lambda lp, n, a: lp / n**a,
        "divide (5 + |y|) by 6": lambda lp, n, a: lp / (5 + n) ** a,
        "α is ignored": lambda lp, n, a: lp / ((5 + n) / 6),
        "sign is flipped": lambda lp, n, a: -lp / ((5 + n) / 6) ** a,
        "should be": lambda lp, n, a: lp / ((6 + n) / 6) ** a,
        "NameError": lambda lp, n, a: undefined,  # noqa: F821
        "should return a number": lambda lp, n, a: "score",
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_length_normalisation, fn, words)


# ---------------------------------------------------------------------------------------------
# Temperature sampling
# ---------------------------------------------------------------------------------------------
def sample_right(logits, temperature, generator):
    return torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator)[:, 0]


def test_temperature_sampling_check(capsys):
    _verdict(capsys, True, check_temperature_sampling, sample_right, "softmax(z / T)")
    _verdict(
        capsys,
        True,
        check_temperature_sampling,
        lambda z, t, g: torch.multinomial(torch.softmax(z / t, -1), 1, generator=g),
        "softmax(z / T)",
    )  # (B, 1) is fine too
    cases = {
        "temperature is ignored": lambda z, t, g: sample_right(z, 1.0, g),
        "you multiply the logits by T": lambda z, t, g: sample_right(z * t, 1.0, g),
        "greedy decoding": lambda z, t, g: z.argmax(-1),
        "ignore the generator": lambda z, t, g: torch.multinomial(torch.softmax(z / t, -1), 1)[:, 0],
        "draws are uniform": lambda z, t, g: torch.randint(0, z.shape[1], (z.shape[0],), generator=g),
        "not probabilities": lambda z, t, g: torch.softmax(z / t, -1)[:, 0],
        "one token per row": lambda z, t, g: sample_right(z, t, g)[:10],
        "RuntimeError": lambda z, t, g: torch.multinomial(z / t, 1, generator=g),  # negative "probabilities"
        "should be near": lambda z, t, g: sample_right(z, t * 0.5, g),
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_temperature_sampling, fn, words)


@pytest.mark.parametrize("check", [check_beam_step, check_length_normalisation, check_temperature_sampling])
def test_checks_never_raise_on_none(check, capsys):
    assert check(lambda *a: None) is False
    assert "✗ Not yet" in capsys.readouterr().out
