"""Backpropagation through time by hand (s2s_lab.bptt): the hand-written backwards pass gradcheck and give the
gradients autograd gives through the formulas of s2s_lab.cells, step by step and over whole sequences."""

import pytest
import torch
import torch.nn.functional as F
from _helpers import random_linear_grads

import s2s_lab
from s2s_lab.bptt import (
    LSTMSequenceFunction,
    LSTMStepFunction,
    RNNStepFunction,
    lstm_sequence_manual,
    lstm_step_manual,
    rnn_bptt,
    rnn_step_manual,
)
from s2s_lab.cells import lstm_step, rnn_step

F64 = torch.float64


def leaf(*shape, dtype=F64):
    return torch.randn(*shape, dtype=dtype, requires_grad=True)


# -- one step: gradcheck (finite differences) of the hand-written backward, and of its own derivative -------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_step_gradcheck(bias, nonlinearity):
    B, H = 3, 4
    args = (leaf(B, H), leaf(B, H), leaf(H, H), leaf(H) if bias else None, nonlinearity)
    assert torch.autograd.gradcheck(RNNStepFunction.apply, args)
    assert torch.autograd.gradgradcheck(RNNStepFunction.apply, args)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_step_gradcheck(bias):
    B, H = 3, 4
    args = (leaf(B, 4 * H), leaf(B, H), leaf(B, H), leaf(4 * H, H), leaf(4 * H) if bias else None)
    assert torch.autograd.gradcheck(LSTMStepFunction.apply, args)
    assert torch.autograd.gradgradcheck(LSTMStepFunction.apply, args)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("T", [1, 5])
def test_lstm_sequence_gradcheck(bias, T):
    B, H = 2, 3
    args = (leaf(T, B, 4 * H), leaf(B, H), leaf(B, H), leaf(4 * H, H), leaf(4 * H) if bias else None)
    assert torch.autograd.gradcheck(LSTMSequenceFunction.apply, args)


def test_lstm_sequence_refuses_second_derivatives():
    args = (leaf(4, 2, 12), leaf(2, 3), leaf(2, 3), leaf(12, 3), leaf(12))
    hs, _, _ = lstm_sequence_manual(*args)
    with pytest.raises(RuntimeError, match="no second derivatives"):
        torch.autograd.grad(hs.sum(), args[3], create_graph=True)


# -- a whole unrolled sequence: the same values and gradients as autograd through cells.rnn_step / lstm_step ------
def rnn_leaves(T=7, B=3, I=2, H=4, bias=True):
    """x, W_ih, b_ih, h_0, W_hh, b_hh as float64 leaves (the biases None without bias)."""
    return leaf(T, B, I), leaf(H, I), leaf(H) if bias else None, leaf(B, H), leaf(H, H), leaf(H) if bias else None


def unroll_rnn(step, x, w_ih, b_ih, h, w_hh, b_hh, nonlinearity):
    gi = F.linear(x, w_ih, b_ih)  # (T, B, H)
    hs, as_ = [], []
    for gi_t in gi:
        h, parts = step(gi_t, h, w_hh, b_hh, nonlinearity)
        hs.append(h)
        as_.append(parts["a"])
    return torch.stack(hs), torch.stack(as_)  # (T, B, H) each


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("use_a", [False, True])
def test_rnn_unrolled_matches_autograd(nonlinearity, bias, use_a):
    params = rnn_leaves(bias=bias)
    inputs = [p for p in params if p is not None]
    names = [n for n, p in zip(["x", "W_ih", "b_ih", "h_0", "W_hh", "b_hh"], params) if p is not None]
    hs, as_ = unroll_rnn(rnn_step_manual, *params, nonlinearity)
    hs_ref, as_ref = unroll_rnn(rnn_step, *params, nonlinearity)
    torch.testing.assert_close(hs, hs_ref, rtol=0, atol=0)  # the same operations: the same numbers
    torch.testing.assert_close(as_, as_ref, rtol=0, atol=0)
    outs, outs_ref = ([hs, as_], [hs_ref, as_ref]) if use_a else ([hs], [hs_ref])
    for g, g_ref, name in zip(random_linear_grads(outs, inputs), random_linear_grads(outs_ref, inputs), names):
        torch.testing.assert_close(g, g_ref, msg=lambda m, name=name: f"{name}: {m}")


def test_rnn_sum_of_outputs_matches_autograd():
    """The plain loss of the issue: the sum of all h_t."""
    params = rnn_leaves()
    inputs = [p for p in params if p is not None]
    grads = torch.autograd.grad(unroll_rnn(rnn_step_manual, *params, "tanh")[0].sum(), inputs)
    grads_ref = torch.autograd.grad(unroll_rnn(rnn_step, *params, "tanh")[0].sum(), inputs)
    for g, g_ref in zip(grads, grads_ref):
        torch.testing.assert_close(g, g_ref)


LSTM_NAMES = ["x", "W_ih", "b_ih", "h_0", "c_0", "W_hh", "b_hh"]  # of the leaves, for messages (without bias: shifted)


def lstm_leaves(T=7, B=3, I=2, H=4, bias=True):
    """x, W_ih, b_ih, h_0, c_0, W_hh, b_hh as float64 leaves (the biases None without bias)."""
    return (
        leaf(T, B, I),
        leaf(4 * H, I),
        leaf(4 * H) if bias else None,
        leaf(B, H),
        leaf(B, H),
        leaf(4 * H, H),
        leaf(4 * H) if bias else None,
    )


def unroll_lstm(step, x, w_ih, b_ih, h, c, w_hh, b_hh):
    gi = F.linear(x, w_ih, b_ih)  # (T, B, 4H)
    steps = []
    for gi_t in gi:
        h, c, parts = step(gi_t, h, c, w_hh, b_hh)
        steps.append(parts)
    return {name: torch.stack([s[name] for s in steps]) for name in steps[0]}  # name -> (T, B, H)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("use_gates", [False, True])
def test_lstm_unrolled_matches_autograd(bias, use_gates):
    params = lstm_leaves(bias=bias)
    inputs = [p for p in params if p is not None]
    tr, tr_ref = unroll_lstm(lstm_step_manual, *params), unroll_lstm(lstm_step, *params)
    assert list(tr) == list(tr_ref) == ["i", "f", "g", "o", "c", "h"]
    for name in tr:
        torch.testing.assert_close(tr[name], tr_ref[name], rtol=0, atol=0, msg=lambda m, name=name: f"{name}: {m}")
    used = ["i", "f", "g", "o", "c", "h"] if use_gates else ["h", "c"]  # c: every c_t, the last as a final state
    grads = random_linear_grads([tr[n] for n in used], inputs)
    grads_ref = random_linear_grads([tr_ref[n] for n in used], inputs)
    for g, g_ref, name in zip(grads, grads_ref, LSTM_NAMES):
        torch.testing.assert_close(g, g_ref, msg=lambda m, name=name: f"{name}: {m}")


def test_lstm_sum_of_outputs_matches_autograd():
    params = lstm_leaves()
    grads = torch.autograd.grad(unroll_lstm(lstm_step_manual, *params)["h"].sum(), params)
    grads_ref = torch.autograd.grad(unroll_lstm(lstm_step, *params)["h"].sum(), params)
    for g, g_ref in zip(grads, grads_ref):
        torch.testing.assert_close(g, g_ref)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("T", [1, 7])
def test_lstm_sequence_matches_autograd(bias, T):
    x, w_ih, b_ih, h0, c0, w_hh, b_hh = params = lstm_leaves(T=T, bias=bias)
    inputs = [p for p in params if p is not None]
    hs, h_T, c_T = lstm_sequence_manual(F.linear(x, w_ih, b_ih), h0, c0, w_hh, b_hh)
    tr = unroll_lstm(lstm_step, *params)
    torch.testing.assert_close(hs, tr["h"])
    torch.testing.assert_close(h_T, tr["h"][-1])
    torch.testing.assert_close(c_T, tr["c"][-1])
    grads = random_linear_grads([hs, h_T, c_T], inputs)
    grads_ref = random_linear_grads([tr["h"], tr["h"][-1], tr["c"][-1]], inputs)
    for g, g_ref, name in zip(grads, grads_ref, LSTM_NAMES):
        torch.testing.assert_close(g, g_ref, msg=lambda m, name=name: f"{name}: {m}")


def test_lstm_sequence_with_frozen_weight_hh():
    """A frozen W_hh gets no gradient (and none is computed); the other gradients do not change."""
    x, w_ih, b_ih, h0, c0, w_hh, b_hh = lstm_leaves()
    w_hh.requires_grad_(False)
    inputs = [x, w_ih, b_ih, h0, c0, b_hh]
    hs, _, c_T = lstm_sequence_manual(F.linear(x, w_ih, b_ih), h0, c0, w_hh, b_hh)
    tr = unroll_lstm(lstm_step, x, w_ih, b_ih, h0, c0, w_hh, b_hh)
    grads, grads_ref = random_linear_grads([hs, c_T], inputs), random_linear_grads([tr["h"], tr["c"][-1]], inputs)
    for g, g_ref in zip(grads, grads_ref):
        torch.testing.assert_close(g, g_ref)
    lstm_sequence_manual(F.linear(x, w_ih, b_ih), h0, c0, w_hh, b_hh)[0].sum().backward()
    assert w_hh.grad is None and x.grad is not None


# -- the LSTM layer: the hand-written path gives the numbers of the autograd path and of torch.nn.LSTM ------------
def graph_nodes(t: torch.Tensor) -> set[str]:
    """The names of the autograd nodes that ``t`` depends on."""
    seen, todo = set(), [t.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            todo.extend(f for f, _ in fn.next_functions)
    return {type(fn).__name__ for fn in seen}


@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first, unbatched, with_hx",
    [(1, False, False, False, False), (2, True, True, False, True), (2, True, False, True, True)],
)
def test_lstm_layer_manual_path_matches_torch(num_layers, bidirectional, batch_first, unbatched, with_hx):
    T, B, I, H = 5, 3, 4, 6
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    ref = torch.nn.LSTM(I, H, **kwargs)
    x = torch.randn((T, I) if unbatched else (B, T, I) if batch_first else (T, B, I))
    state_shape = (num_layers * (1 + bidirectional),) + (() if unbatched else (B,)) + (H,)
    hx = (torch.randn(state_shape), torch.randn(state_shape)) if with_hx else None
    results = {}
    for manual in (True, False, "torch"):
        model = ref if manual == "torch" else s2s_lab.LSTM(I, H, **kwargs)
        if manual != "torch":
            model.load_state_dict(ref.state_dict())
            model.manual_backward = manual
        x_leaf = x.clone().requires_grad_(True)
        hx_leaf = None if hx is None else tuple(s.clone().requires_grad_(True) for s in hx)
        out, (h_n, c_n) = model(x_leaf, hx_leaf)
        nodes = graph_nodes(out)
        assert ("LSTMSequenceFunctionBackward" in nodes) == (manual is True), nodes
        inputs = [x_leaf, *(hx_leaf or ()), *model.parameters()]
        results[manual] = [out, h_n, c_n, *random_linear_grads([out, h_n, c_n], inputs)]
    for a, b, c in zip(results[True], results[False], results["torch"]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(a, c, atol=1e-5, rtol=1e-4)


def test_lstm_layer_trace_keeps_per_step_nodes():
    model = s2s_lab.LSTM(3, 4)
    model.manual_backward = True
    x = torch.randn(5, 2, 3)
    trace = model.trace(x)
    assert "LSTMSequenceFunctionBackward" not in graph_nodes(trace.output)
    (grad,) = torch.autograd.grad(trace.steps[0][-1]["c"].sum(), trace.steps[0][1]["c"])  # d c_T / d c_2
    assert grad.shape == (2, 4)
    torch.testing.assert_close(trace.output, model(x)[0])
    assert "LSTMSequenceFunctionBackward" in graph_nodes(model(x)[0])  # and forward is back on the fast path


# -- bad input: one sentence naming what was expected and what was received ----------------------------------------
def test_bad_input_messages():
    gi, h, c, w, b = torch.randn(2, 16), torch.randn(2, 4), torch.randn(2, 4), torch.randn(16, 4), torch.randn(16)
    with pytest.raises(ValueError, match=r"nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        rnn_step_manual(gi[:, :4], h, w[:4], b[:4], "sigmoid")
    with pytest.raises(ValueError, match=r"expects gi of shape \(B, 16\) with B > 0, got \(2, 12\)"):
        lstm_step_manual(gi[:, :12], h, c, w, b)
    with pytest.raises(ValueError, match=r"expects weight_hh of shape \(4H, H\) with H > 0, got \(12, 4\)"):
        lstm_step_manual(gi, h, c, w[:12], b)
    with pytest.raises(ValueError, match=r"expected lstm_step_manual c of shape \(2, 4\), got \(2, 5\)"):
        lstm_step_manual(gi, h, torch.randn(2, 5), w, b)
    with pytest.raises(ValueError, match=r"expected lstm_step_manual bias_hh of shape \(16\), got \(4\)"):
        lstm_step_manual(gi, h, c, w, b[:4])
    with pytest.raises(ValueError, match=r"h has dtype torch.float64 but the parameters are torch.float32"):
        rnn_step_manual(gi[:, :4], h.double(), w[:4], b[:4], "tanh")
    with pytest.raises(ValueError, match=r"gi must be a floating-point tensor"):
        rnn_step_manual(gi[:, :4].long(), h, w[:4], b[:4], "tanh")
    with pytest.raises(ValueError, match=r"expects gi of shape \(T, B, 16\) with T, B > 0, got \(2, 16\)"):
        lstm_sequence_manual(gi, h, c, w, b)
    with pytest.raises(ValueError, match=r"expects gi of shape \(T, B, 16\) with T, B > 0, got \(0, 2, 16\)"):
        lstm_sequence_manual(torch.randn(0, 2, 16), h, c, w, b)


# -- rnn_bptt: the whole loop by hand, no autograd, against torch.nn.RNN ------------------------------------------
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_bptt_matches_torch_rnn(nonlinearity, bias):
    T, B, I, H = 6, 3, 5, 4
    ref = torch.nn.RNN(I, H, nonlinearity=nonlinearity, bias=bias).double()
    x, h0 = leaf(T, B, I), leaf(1, B, H)
    out, _ = ref(x, h0)
    dh_out = torch.randn(T, B, H, dtype=F64)
    (out * dh_out).sum().backward()
    p = {
        n: getattr(ref, f"{n}_l0").detach() if bias or "weight" in n else None
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }
    r = rnn_bptt(
        x.detach(), h0[0].detach(), p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"], dh_out, nonlinearity
    )
    torch.testing.assert_close(r["h"], out.detach())
    torch.testing.assert_close(r["dW_ih"], ref.weight_ih_l0.grad)
    torch.testing.assert_close(r["dW_hh"], ref.weight_hh_l0.grad)
    if bias:
        torch.testing.assert_close(r["db"], ref.bias_ih_l0.grad)
        torch.testing.assert_close(r["db"], ref.bias_hh_l0.grad)
    torch.testing.assert_close(r["dx"], x.grad)
    torch.testing.assert_close(r["dh0"], h0.grad[0])
    # delta h_t is what autograd sends to h_t: from the loss and from step t+1
    torch.testing.assert_close(r["dh"][-1], dh_out[-1])
    torch.testing.assert_close(r["dh"][:-1], dh_out[:-1] + r["da"][1:] @ p["weight_hh"])


def test_rnn_bptt_bad_input():
    x, h0, w_ih, w_hh, b = torch.randn(4, 2, 3), torch.randn(2, 5), torch.randn(5, 3), torch.randn(5, 5), torch.randn(5)
    dh = torch.randn(4, 2, 5)
    with pytest.raises(ValueError, match=r"nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        rnn_bptt(x, h0, w_ih, w_hh, b, b, dh, "sigmoid")
    with pytest.raises(ValueError, match=r"expects x of shape \(T, B, I\) with T, B, I > 0, got \(2, 3\)"):
        rnn_bptt(x[0], h0, w_ih, w_hh, b, b, dh)
    with pytest.raises(ValueError, match=r"expects weight_ih of shape \(H, I\) = \(5, 3\), got \(3, 5\)"):
        rnn_bptt(x, h0, w_ih.T, w_hh, b, b, dh)
    with pytest.raises(ValueError, match=r"expected rnn_bptt dh_out of shape \(4, 2, 5\), got \(3, 2, 5\)"):
        rnn_bptt(x, h0, w_ih, w_hh, b, b, dh[:3])
    with pytest.raises(ValueError, match=r"expected rnn_bptt h0 of shape \(2, 5\), got \(5\)"):
        rnn_bptt(x, h0[0], w_ih, w_hh, b, b, dh)
