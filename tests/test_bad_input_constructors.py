"""Constructor arguments of the wrong type or value: the error names the argument, what it expected and what it
got. The exception type is PyTorch's wherever PyTorch raises for the same arguments."""

import warnings

import numpy as np
import pytest
import torch

import s2s_lab
from s2s_lab.gate_variants import GRUPaper, GRUPaperCell

LAYERS = [s2s_lab.RNN, s2s_lab.LSTM, s2s_lab.GRU, GRUPaper]
CELLS = [s2s_lab.RNNCell, s2s_lab.LSTMCell, s2s_lab.GRUCell, GRUPaperCell]
TORCH = {
    "RNN": torch.nn.RNN,
    "LSTM": torch.nn.LSTM,
    "GRU": torch.nn.GRU,
    "GRUPaper": torch.nn.GRU,
    "RNNCell": torch.nn.RNNCell,
    "LSTMCell": torch.nn.LSTMCell,
    "GRUCell": torch.nn.GRUCell,
    "GRUPaperCell": torch.nn.GRUCell,
}

# (args, kwargs, exception, words of the message)
BAD_LAYER_ARGS = [
    ((3, 5), dict(batch_first="False"), TypeError, "batch_first should be of type bool (True or False), got str"),
    ((3, 5), dict(bias="False"), TypeError, "bias should be of type bool (True or False), got str 'False'"),
    ((3, 5), dict(bidirectional="yes"), TypeError, "bidirectional should be of type bool (True or False), got str"),
    ((3, 5.0), {}, TypeError, "hidden_size should be of type int, got float 5.0"),
    ((3.0, 5), {}, TypeError, "input_size should be of type int, got float 3.0"),
    (("10", 5), {}, TypeError, "input_size should be of type int, got str '10'"),
    ((True, 5), {}, TypeError, "input_size should be of type int, got bool True"),
    ((np.int64(3), 5), {}, TypeError, "convert it with int(...)"),
    ((3, 5), dict(num_layers=1.5), TypeError, "num_layers should be of type int, got float 1.5"),
    ((3, 5), dict(num_layers=True), TypeError, "num_layers should be of type int, got bool"),
    ((0, 5), {}, ValueError, "input_size must be a positive int, got 0"),
    ((3, -1), {}, ValueError, "hidden_size must be a positive int, got -1"),
    ((3, 5), dict(num_layers=0), ValueError, "num_layers must be a positive int, got 0"),
    ((3, 5), dict(dropout="0.1"), ValueError, "dropout should be a number in [0, 1]"),
    ((3, 5), dict(dropout=True), ValueError, "dropout should be a number in [0, 1]"),
    ((3, 5), dict(dropout=1.5), ValueError, "got float 1.5"),
]


def _torch_raises(torch_cls, args, kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch_cls(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - we only compare the exception type
        return type(exc)
    return None


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("args, kwargs, exc, words", BAD_LAYER_ARGS, ids=[f"{a}-{k}" for a, k, _, _ in BAD_LAYER_ARGS])
def test_layer_constructor_arguments(cls, args, kwargs, exc, words):
    with pytest.raises(exc) as info:
        cls(*args, **kwargs)
    assert words in str(info.value)
    torch_exc = _torch_raises(TORCH[cls.__name__], args, kwargs)
    if torch_exc is not None:  # where PyTorch refuses too, it raises the same type
        assert torch_exc is exc


BAD_CELL_ARGS = [a for a in BAD_LAYER_ARGS if set(a[1]) <= {"bias"}]


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("args, kwargs, exc, words", BAD_CELL_ARGS, ids=[f"{a}-{k}" for a, k, _, _ in BAD_CELL_ARGS])
def test_cell_constructor_arguments(cls, args, kwargs, exc, words):
    with pytest.raises(exc) as info:
        cls(*args, **kwargs)
    assert words in str(info.value)
    # torch.nn's cells check nothing: a float size fails inside torch.empty with a TypeError, a negative one with
    # a RuntimeError, bias="False" is taken as True. Ours raise what the layers raise.
    torch_exc = _torch_raises(TORCH[cls.__name__], args, kwargs)
    if torch_exc is not None and torch_exc is not RuntimeError:
        assert torch_exc is exc


def test_lstm_proj_size():
    model = s2s_lab.LSTM(3, 5, proj_size=0)  # PyTorch's default, passed explicitly by its module tests
    assert model.proj_size == 0 and model(torch.randn(4, 2, 3))[0].shape == (4, 2, 5)
    torch.nn.LSTM(3, 5, proj_size=2)  # PyTorch has projections; we say we do not
    with pytest.raises(ValueError, match=r"proj_size > 0 .* not supported .* got proj_size=2"):
        s2s_lab.LSTM(3, 5, proj_size=2)
    with pytest.raises(ValueError):
        torch.nn.LSTM(3, 5, proj_size=-1)
    with pytest.raises(ValueError, match=r"proj_size must be an int >= 0, got -1"):
        s2s_lab.LSTM(3, 5, proj_size=-1)
    with pytest.raises(TypeError, match=r"proj_size should be of type int, got float 1.0"):
        s2s_lab.LSTM(3, 5, proj_size=1.0)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning):
        torch.nn.GRU(3, 5, dropout=0.5)
    with pytest.warns(UserWarning, match=r"dropout=0.5 does nothing with num_layers=1"):
        s2s_lab.GRU(3, 5, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2s_lab.GRU(3, 5, num_layers=2, dropout=0.5)
        s2s_lab.LSTM(3, 5, dropout=0)


@pytest.mark.parametrize("cls", LAYERS + CELLS, ids=lambda c: c.__name__)
def test_good_arguments_still_work(cls):
    model = cls(3, 5, bias=False)
    assert model.bias is False and model.hidden_size == 5
