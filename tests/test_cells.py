"""s2s_lab's cells and layers against PyTorch's own: values and gradients."""

import itertools

import pytest
import torch

import s2s_lab

ATOL = 1e-5
LAYERS = {"RNN": (s2s_lab.RNN, torch.nn.RNN), "LSTM": (s2s_lab.LSTM, torch.nn.LSTM), "GRU": (s2s_lab.GRU, torch.nn.GRU)}
CELLS = {
    "RNN": (s2s_lab.RNNCell, torch.nn.RNNCell),
    "LSTM": (s2s_lab.LSTMCell, torch.nn.LSTMCell),
    "GRU": (s2s_lab.GRUCell, torch.nn.GRUCell),
}


def flat(out):
    """Every tensor in a (possibly nested) output, in order."""
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in flat(o)]


def assert_same(ours_out, ref_out):
    for a, b in zip(flat(ours_out), flat(ref_out), strict=True):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, atol=ATOL, rtol=1e-4)


def assert_same_grads(ours, ref, inputs):
    for (name, p), (ref_name, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        assert name == ref_name
        torch.testing.assert_close(p.grad, q.grad, atol=ATOL, rtol=1e-4, msg=lambda m, name=name: f"{name}: {m}")
    for x, x_ref in inputs:
        torch.testing.assert_close(x.grad, x_ref.grad, atol=ATOL, rtol=1e-4)


def twin(x):
    """Two independent leaf copies of x, so each model gets its own .grad."""
    return x.clone().requires_grad_(True), x.clone().requires_grad_(True)


def make_state(kind, shape):
    if kind == "LSTM":
        return torch.randn(shape), torch.randn(shape)
    return torch.randn(shape)


def twin_state(state):
    if isinstance(state, tuple):
        pairs = [twin(s) for s in state]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), pairs
    a, b = twin(state)
    return a, b, [(a, b)]


def compare_with_torch(ours, ref, kind, x, state_shape=None):
    """Run both models on ``x`` (and a random initial state of ``state_shape``, if given); check the
    outputs, then the gradients of a loss that weights every output element differently."""
    x, x_ref = twin(x)
    args, ref_args, inputs = [x], [x_ref], [(x, x_ref)]
    if state_shape is not None:
        hx, hx_ref, pairs = twin_state(make_state(kind, state_shape))
        args.append(hx)
        ref_args.append(hx_ref)
        inputs += pairs
    out, ref_out = ours(*args), ref(*ref_args)
    assert_same(out, ref_out)
    weights = [torch.randn_like(t) for t in flat(ref_out)]
    sum(((w * t).sum() for w, t in zip(weights, flat(out)))).backward()
    sum(((w * t).sum() for w, t in zip(weights, flat(ref_out)))).backward()
    assert_same_grads(ours, ref, inputs)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first, sizes",
    [
        (1, False, False, (3, 4, 5, 7)),
        (2, True, False, (4, 2, 3, 5)),
        (3, False, True, (2, 3, 6, 4)),
        (3, True, True, (5, 1, 2, 3)),
        (1, True, False, (1, 2, 4, 8)),
        (2, False, True, (6, 5, 1, 1)),
    ],
)
@pytest.mark.parametrize("with_hx", [False, True])
def test_layer_matches_torch(kind, num_layers, bidirectional, batch_first, sizes, with_hx):
    T, B, I, H = sizes
    ours_cls, ref_cls = LAYERS[kind]
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    ref = ref_cls(I, H, **kwargs)
    ours = ours_cls(I, H, **kwargs)
    ours.load_state_dict(ref.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    x = torch.randn((B, T, I) if batch_first else (T, B, I))
    compare_with_torch(ours, ref, kind, x, (num_layers * (1 + bidirectional), B, H) if with_hx else None)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
def test_layer_unbatched_matches_torch(kind, num_layers, bidirectional):
    ours_cls, ref_cls = LAYERS[kind]
    ref = ref_cls(3, 4, num_layers=num_layers, bidirectional=bidirectional)
    ours = ours_cls(3, 4, num_layers=num_layers, bidirectional=bidirectional)
    ours.load_state_dict(ref.state_dict())
    compare_with_torch(ours, ref, kind, torch.randn(6, 3), (num_layers * (1 + bidirectional), 4))  # (T, I)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize(
    "batched, with_hx, sizes",
    [(b, h, s) for b, h, s in itertools.product([True, False], [True, False], [(1, 1, 1), (4, 3, 5), (2, 10, 16)])],
)
def test_cell_matches_torch(kind, batched, with_hx, sizes):
    B, I, H = sizes
    ours_cls, ref_cls = CELLS[kind]
    ref = ref_cls(I, H)
    ours = ours_cls(I, H)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn((B, I) if batched else (I,))
    compare_with_torch(ours, ref, kind, x, ((B, H) if batched else (H,)) if with_hx else None)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_relu_and_no_bias(nonlinearity):
    ref = torch.nn.RNN(3, 5, num_layers=2, nonlinearity=nonlinearity, bias=False)
    ours = s2s_lab.RNN(3, 5, num_layers=2, nonlinearity=nonlinearity, bias=False)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(4, 2, 3)
    assert_same(ours(x), ref(x))
    cell_ref = torch.nn.RNNCell(3, 5, nonlinearity=nonlinearity, bias=False)
    cell = s2s_lab.RNNCell(3, 5, nonlinearity=nonlinearity, bias=False)
    cell.load_state_dict(cell_ref.state_dict())
    assert_same(cell(x[0]), cell_ref(x[0]))


@pytest.mark.parametrize("kind", LAYERS)
def test_float64(kind):
    ours_cls, ref_cls = LAYERS[kind]
    ref = ref_cls(3, 4).double()
    ours = ours_cls(3, 4).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    for a, b in zip(flat(ours(x)), flat(ref(x))):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_dropout_between_layers_only_in_training():
    ours = s2s_lab.LSTM(3, 4, num_layers=2, dropout=0.5)
    ref = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3)
    ours.eval()
    ref.eval()
    assert_same(ours(x), ref(x))
    ours.train()
    torch.manual_seed(1)
    a = ours(x)[0]
    torch.manual_seed(2)
    assert not torch.allclose(a, ours(x)[0])


def test_does_not_call_torch_recurrent_kernels(monkeypatch):
    """The cells are written from the formulas: break torch's recurrent kernels and they still work."""

    def refuse(*args, **kwargs):
        raise AssertionError("a torch recurrent kernel was called")

    for name in ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]:
        monkeypatch.setattr(torch._VF, name, refuse, raising=False)
        monkeypatch.setattr(torch, name, refuse, raising=False)
    x = torch.randn(4, 2, 3)
    for cls in (s2s_lab.RNN, s2s_lab.LSTM, s2s_lab.GRU):
        out, _ = cls(3, 5, num_layers=2, bidirectional=True)(x)
        out.sum().backward()
    for cls in (s2s_lab.RNNCell, s2s_lab.LSTMCell, s2s_lab.GRUCell):
        cls(3, 5)(x[0])
    with pytest.raises(AssertionError, match="recurrent kernel"):
        torch.nn.LSTM(3, 5)(x)  # the monkeypatch really does cut torch's own path
