"""Self-checks of notebooks 04 and 05: right answers pass, each named mistake gets its hint, errors and the
unfinished stubs are caught, and the notebooks' folded solutions pass their checks."""

import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from s2s_lab.exercises.seq2seq import (
    check_additive_attention,
    check_attention_decoder_step,
    check_masked_cross_entropy,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _verdict(capsys, ok, check, fn, words):
    assert check(fn) is ok
    out = capsys.readouterr().out
    assert ("✓ Correct" if ok else "✗ Not yet") in out and words in out, out


def _nll(logits, targets):
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)


# ---------------------------------------------------------------------------------------------
# The masked loss (notebook 04)
# ---------------------------------------------------------------------------------------------
def test_masked_cross_entropy_check(capsys):
    _verdict(capsys, True, check_masked_cross_entropy, lambda lg, t, m: (_nll(lg, t) * m).sum() / m.sum(), "matches")
    _verdict(capsys, True, check_masked_cross_entropy, lambda lg, t, m: F.cross_entropy(lg[m], t[m]), "matches")
    mean_all = 'reduction="none"'
    cases = {
        # the mean over all positions, padding included
        "padding included": lambda lg, t, m: _nll(lg, t).mean(),
        # forgetting reduction="none": the mask comes after the average
        mean_all: lambda lg, t, m: (F.cross_entropy(lg.transpose(1, 2), t) * m).sum() / m.sum(),
        "multiplying by the mask afterwards": lambda lg, t, m: (F.cross_entropy(lg.transpose(1, 2), t) * m).mean(),
        "comes too late": lambda lg, t, m: F.cross_entropy(lg.transpose(1, 2), t, reduction="sum") / m.sum(),
        "not by B·T": lambda lg, t, m: (_nll(lg, t) * m).sum() / m.numel(),
        "That is the sum": lambda lg, t, m: (_nll(lg, t) * m).sum(),
        "short sequences weigh more": lambda lg, t, m: ((_nll(lg, t) * m).sum(1) / m.sum(1)).mean(),
        "True at the real tokens": lambda lg, t, m: (_nll(lg, t) * ~m).sum() / (~m).sum(),
        "dropped the real tokens": lambda lg, t, m: (_nll(lg, t) * ~m).sum() / m.sum(),
        "ZeroDivisionError": lambda *a: 1 / 0,
        "classes in dim 1": lambda lg, t, m: F.cross_entropy(lg, t),
        "still `...`": lambda *a: ...,
        "returns None": lambda *a: None,
        "should be a torch.Tensor": lambda *a: 0.5,
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_masked_cross_entropy, fn, words)


# ---------------------------------------------------------------------------------------------
# Additive attention (notebook 05)
# ---------------------------------------------------------------------------------------------
def _scores(s, H, W_q, W_k, v):
    return torch.tanh((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v  # (B, S)


def _attend(alpha, H):
    return (alpha.unsqueeze(-1) * H).sum(1), alpha


def test_additive_attention_check(capsys):
    def right(s, H, W_q, W_k, v, mask):
        return _attend(_scores(s, H, W_q, W_k, v).masked_fill(~mask, float("-inf")).softmax(-1), H)

    assert check_additive_attention(right)
    assert capsys.readouterr().out.count("Correct") == 2
    inf = float("-inf")
    cases = {
        "-inf where mask is False": lambda s, H, W_q, W_k, v, m: _attend(_scores(s, H, W_q, W_k, v).softmax(-1), H),
        "fill -inf where ~mask": lambda s, H, W_q, W_k, v, m: _attend(
            _scores(s, H, W_q, W_k, v).masked_fill(m, inf).softmax(-1), H
        ),
        "runs over the batch": lambda s, H, W_q, W_k, v, m: _attend(
            _scores(s, H, W_q, W_k, v).masked_fill(~m, inf).softmax(0), H
        ),
        "apply the softmax": lambda s, H, W_q, W_k, v, m: _attend(_scores(s, H, W_q, W_k, v), H),
        "tanh is missing": lambda s, H, W_q, W_k, v, m: _attend(
            (((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v).masked_fill(~m, inf).softmax(-1), H
        ),
        "not the plain mean": lambda s, H, W_q, W_k, v, m: (H.mean(1), right(s, H, W_q, W_k, v, m)[1]),
        "not .mean()": lambda s, H, W_q, W_k, v, m: (
            (right(s, H, W_q, W_k, v, m)[1].unsqueeze(-1) * H).mean(1),
            right(s, H, W_q, W_k, v, m)[1],
        ),
        "pair (c, alpha)": lambda *a: torch.zeros(3),
        "c is still `...`": lambda *a: (..., ...),
        "use s @ W_q.T": lambda s, H, W_q, W_k, v, m: s @ W_q,
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_additive_attention, fn, words)


# ---------------------------------------------------------------------------------------------
# One decoder step with attention (notebook 05)
# ---------------------------------------------------------------------------------------------
def _step(e, s_prev, H, mask, score, gru, W_o, b_o, query="prev", dim=-1, masked=True, gru_ctx="c", out="right"):
    scores = score(s_prev, H)  # (B, S)
    if masked:
        scores = scores.masked_fill(~mask, float("-inf"))
    alpha = scores.softmax(dim)
    c = (alpha.unsqueeze(-1) * H).sum(1)
    ctx = {"c": c, "s_prev": s_prev, "zeros": torch.zeros_like(c)}[gru_ctx]
    s = gru(torch.cat([e, ctx], -1), s_prev)
    if query == "new":  # attend again with the new state, Luong's order
        alpha = score(s, H).masked_fill(~mask, float("-inf")).softmax(-1)
        c = (alpha.unsqueeze(-1) * H).sum(1)
    parts = {"right": [s, c, e], "old state": [s_prev, c, e], "order": [c, s, e]}[out]
    return alpha, c, s, torch.cat(parts, -1) @ W_o.T + b_o


def test_attention_decoder_step_check(capsys):
    _verdict(capsys, True, check_attention_decoder_step, _step, "logits matches the reference")
    cases = {
        "You score the new state s_t": dict(query="new"),
        "over the batch (dim 0)": dict(dim=0),
        "Padding gets weight": dict(masked=False),
        "where the context c_t belongs": dict(gru_ctx="s_prev"),
        "is not fed to the GRU": dict(gru_ctx="zeros"),
        "reads the new state s_t, not s_{t-1}": dict(out="old state"),
        "in that order": dict(out="order"),
    }
    for words, options in cases.items():
        _verdict(capsys, False, check_attention_decoder_step, lambda *a, o=options: _step(*a, **o), words)

    def no_bias(*a):
        alpha, c, s, logits = _step(*a)
        return alpha, c, s, logits - a[-1]

    def gru_without_context(e, s_prev, H, mask, score, gru, W_o, b_o):
        return None, None, gru(e, s_prev), None

    more = {
        "bias b_o is missing": no_bias,
        "GRU reads torch.cat([e, c], dim=-1)": gru_without_context,
        "alpha is still `...`": lambda *a: (..., ..., ..., ...),
        "four values": lambda *a: _step(*a)[:3],
        "returns None": lambda *a: None,
    }
    for words, fn in more.items():
        _verdict(capsys, False, check_attention_decoder_step, fn, words)


@pytest.mark.parametrize("check", [check_masked_cross_entropy, check_additive_attention, check_attention_decoder_step])
def test_checks_never_raise(check, capsys):
    for fn in (lambda *a: None, lambda *a: "text", lambda *a: (1, 2, 3, 4)):
        assert check(fn) is False
        assert "✗ Not yet" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The notebooks: each exercise is a stub the check rejects; its folded solution passes
# ---------------------------------------------------------------------------------------------
EXERCISES = {
    "04_encoder_decoder": {"masked_loss": check_masked_cross_entropy},
    "05_attention": {"additive_attention": check_additive_attention, "decoder_step": check_attention_decoder_step},
}


def _cells(name):
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _folded_solutions(name) -> list[str]:
    code = []
    for cell in _cells(name):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "<summary>Solution" in text:
            code += re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return code


@pytest.mark.parametrize("name", EXERCISES)
def test_folded_solutions_pass_and_stubs_do_not(name, capsys):
    namespace = {"torch": torch, "F": F}
    for code in _folded_solutions(name):
        exec(code, namespace)  # noqa: S102 - the notebook's own solution
    for fn_name, check in EXERCISES[name].items():
        assert fn_name in namespace, f"{name}: no folded solution defines {fn_name}"
        assert check(namespace[fn_name]), capsys.readouterr().out
        capsys.readouterr()
        defining = [c for c in _cells(name) if c["cell_type"] == "code" and f"def {fn_name}(" in "".join(c["source"])]
        assert len(defining) == 1, f"{name}: {fn_name} is defined in {len(defining)} code cells (only the stub)"
        stub = {"torch": torch, "F": F}
        exec("".join(l for l in defining[0]["source"] if "check_" not in l), stub)  # noqa: S102
        assert not check(stub[fn_name]) and "still `...`" in capsys.readouterr().out


def test_inverted_mask_in_the_decoder_step_is_named(capsys):
    def inverted(e, s_prev, H, mask, score, gru, W_o, b_o):
        return _step(e, s_prev, H, ~mask, score, gru, W_o, b_o)

    _verdict(capsys, False, check_attention_decoder_step, inverted, "fill -inf where ~mask")


@pytest.mark.parametrize("check", [check_additive_attention, check_attention_decoder_step])
def test_checks_leave_the_global_random_state_alone(check, capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check(lambda *a: None)
    assert torch.equal(torch.rand(3), expected)
