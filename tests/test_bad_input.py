"""Wrong input gets a ValueError that names what was expected and what was received."""

import pytest
import torch

import s2s_lab


@pytest.mark.parametrize("cls", [s2s_lab.RNN, s2s_lab.LSTM, s2s_lab.GRU])
def test_layer_messages(cls):
    model = cls(10, 20, num_layers=2)
    with pytest.raises(ValueError, match=r"feature size I=10 .*got 7 .*\(5, 3, 7\)"):
        model(torch.randn(5, 3, 7))
    with pytest.raises(ValueError, match=r"floating-point .*torch.int64"):
        model(torch.ones(5, 3, 10, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(T, B, I=10\) or unbatched \(T, I=10\), got a 4-D tensor"):
        model(torch.randn(5, 3, 2, 10))
    with pytest.raises(ValueError, match=r"1-D tensor"):
        model(torch.randn(10))
    with pytest.raises(ValueError, match=r"empty sequence \(T=0\)"):
        model(torch.randn(0, 3, 10))
    with pytest.raises(ValueError, match=r"float64 but the parameters are torch.float32"):
        model(torch.randn(5, 3, 10, dtype=torch.float64))
    good_h = torch.zeros(2, 3, 20)
    wrong_batch, wrong_hidden = torch.zeros(2, 4, 20), torch.zeros(2, 3, 21)
    hx = lambda h: (h, good_h) if cls is s2s_lab.LSTM else h  # noqa: E731
    name = "h_0" if cls is s2s_lab.LSTM else "hx"
    with pytest.raises(ValueError, match=rf"expected {cls.__name__} {name} of shape \(2, 3, 20\), got \(2, 4, 20\)"):
        model(torch.randn(5, 3, 10), hx(wrong_batch))
    with pytest.raises(ValueError, match=r"of shape \(2, 3, 20\), got \(2, 3, 21\)"):
        model(torch.randn(5, 3, 10), hx(wrong_hidden))
    with pytest.raises(ValueError, match=r"of shape \(2, 20\), got \(2, 3, 20\)"):
        model(torch.randn(5, 10), hx(good_h))  # unbatched input, batched state


def test_batch_first_message_and_empty_sequence():
    model = s2s_lab.GRU(4, 3, batch_first=True)
    with pytest.raises(ValueError, match=r"\(B, T, I=4\)"):
        model(torch.randn(2, 3, 4, 1))
    with pytest.raises(ValueError, match=r"empty sequence \(T=0\)"):
        model(torch.randn(2, 0, 4))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(ValueError, match=r"pair \(h_0, c_0\)"):
        s2s_lab.LSTM(3, 4)(torch.randn(2, 1, 3), torch.zeros(1, 1, 4))
    with pytest.raises(ValueError, match=r"pair \(h_0, c_0\)"):
        s2s_lab.LSTMCell(3, 4)(torch.randn(1, 3), torch.zeros(1, 4))


@pytest.mark.parametrize("cls", [s2s_lab.RNNCell, s2s_lab.LSTMCell, s2s_lab.GRUCell])
def test_cell_messages(cls):
    cell = cls(10, 20)
    with pytest.raises(ValueError, match=r"feature size I=10 .*got 9"):
        cell(torch.randn(3, 9))
    with pytest.raises(ValueError, match=r"floating-point"):
        cell(torch.ones(3, 10, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"\(B, I=10\) or unbatched \(I=10,\), got a 3-D tensor"):
        cell(torch.randn(1, 3, 10))
    with pytest.raises(ValueError, match=r"empty batch"):
        cell(torch.randn(0, 10))
    state = lambda h: (h, torch.zeros(3, 20)) if cls is s2s_lab.LSTMCell else h  # noqa: E731
    with pytest.raises(ValueError, match=r"of shape \(3, 20\), got \(4, 20\)"):
        cell(torch.randn(3, 10), state(torch.zeros(4, 20)))
    with pytest.raises(ValueError, match=r"empty sequence"):
        cell.trace(torch.randn(0, 3, 10))


def test_constructor_and_packed_sequence_messages():
    with pytest.raises(ValueError, match="nonlinearity"):
        s2s_lab.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="positive"):
        s2s_lab.GRU(0, 3)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2, 4), [3, 2])
    with pytest.raises(ValueError, match="PackedSequence"):
        s2s_lab.LSTM(4, 3)(packed)
