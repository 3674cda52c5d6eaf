"""The notebook-03b demo, driven as a learner drives it: set a control's value, check what changed."""

import numpy as np
import pytest
import torch

from s2s_lab.gradient_flow import demo_inputs, rnn_with_spectral_radius
from s2s_lab.widgets.bptt import BPTTDemo


@pytest.fixture
def demo():
    d = BPTTDemo(T=8, input_size=3, hidden_size=4)
    yield d
    assert d.errors == []


def autograd_grads(demo):
    """The demo's gradients by autograd through torch.nn.RNN with the same weights, inputs and loss."""
    rnn = rnn_with_spectral_radius(3, 4, demo.rho.value).double()
    ref = torch.nn.RNN(3, 4).double()
    ref.load_state_dict(rnn.state_dict())
    x = demo_inputs(demo.T, 3, input_scale=1.0).double().unsqueeze(1)
    h0 = torch.zeros(1, 1, 4, dtype=torch.float64, requires_grad=True)
    out, _ = ref(x, h0)  # (T, 1, H)
    err = out[:, 0] - demo.y
    if demo.loss.value == "last step only":
        err = err[-1:]
    (0.5 * (err**2).sum()).backward()
    return {
        "dW_ih": ref.weight_ih_l0.grad,
        "dW_hh": ref.weight_hh_l0.grad,
        "db": ref.bias_hh_l0.grad,
        "dh0": h0.grad[0],
    }


def test_starts_at_the_last_step_and_is_live(demo):
    assert demo.view.live and demo.view.widget in demo.widget.children
    assert demo.slider.value == demo.t == 8
    assert "Backward step t = 8" in demo.equation_view.value
    assert demo._repr_mimebundle_()["text/plain"].startswith("[backprop through time")
    assert demo.snapshot().data[:8] == b"\x89PNG\r\n\x1a\n"
    # at t = T nothing comes from step T+1: delta h_T is the loss's own gradient
    np.testing.assert_allclose(demo.values["dh"][-1], demo.values["dh_out"][-1])


@pytest.mark.parametrize("loss", ["every step", "last step only"])
def test_gradients_equal_autograd(demo, loss):
    demo.loss.value = loss
    ref = autograd_grads(demo)
    for name, g in demo.gradients().items():
        torch.testing.assert_close(g, ref[name], msg=lambda m, name=name: f"{name}: {m}")


def test_slider_moves_the_step_in_place(demo):
    draws = demo.view.draw_count
    demo.slider.value = 3
    assert demo.t == 3 and demo.view.draw_count == draws + 1  # one in-place redraw, no new figure
    k, norms = demo.done_line.get_data()
    np.testing.assert_array_equal(k, np.arange(3, 9))
    np.testing.assert_allclose(norms, np.linalg.norm(demo.values["dh"][2:], axis=1))
    assert demo.current.get_data()[0][0] == 3
    assert "Backward step t = 3" in demo.equation_view.value
    assert f"{demo.values['da'][2][0]:+.2f}" in demo.equation_view.value
    assert demo.share_bars[2].get_facecolor()[:3] != demo.share_bars[1].get_facecolor()[:3]  # step t is marked
    assert "backward step t = 3 of 8" in demo.readout()


def test_the_equation_adds_up(demo):
    """delta h_t = dh_out_t + delta a_{t+1} W_hh, delta a_t = delta h_t (1 - h_t^2), delta h_{t-1} = delta a_t W_hh."""
    v, w_hh = demo.values, demo.params["weight_hh"].numpy()
    for t in range(1, demo.T):  # index t-1 is step t
        np.testing.assert_allclose(v["dh"][t - 1], v["dh_out"][t - 1] + v["da"][t] @ w_hh, atol=1e-12)
        np.testing.assert_allclose(v["dh_prev"][t], v["da"][t] @ w_hh, atol=1e-12)
    np.testing.assert_allclose(v["da"], v["dh"] * (1 - v["h"] ** 2), atol=1e-12)
    np.testing.assert_allclose(v["share"].sum(0), demo.gradients()["dW_hh"].numpy(), atol=1e-12)


def test_play_walks_backward(demo):
    demo.play.value = 1
    assert demo.slider.value == 8
    demo.play.value = 5
    assert demo.slider.value == demo.t == 4


def test_loss_and_radius_recompute(demo):
    demo.slider.value = 2
    before = demo.dh_norms.copy()
    demo.loss.value = "last step only"
    assert demo.t == 2  # the step stays
    assert not np.allclose(before, demo.dh_norms)
    np.testing.assert_array_equal(demo.values["dh_out"][:-1], 0)  # the loss looks at h_T only
    np.testing.assert_allclose(demo.all_line.get_ydata(), demo.dh_norms)
    assert "loss at last step only" in demo.equation_view.value
    small = demo.dh_norms[0] / demo.dh_norms[-1]
    demo.rho.value = 2.5
    assert demo.dh_norms[0] / demo.dh_norms[-1] != pytest.approx(small)
    assert "rho = 2.50" in demo.readout()


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"expected hidden_size at most 6 \(every number is shown\), got 8"):
        BPTTDemo(hidden_size=8)
    with pytest.raises(ValueError, match=r"expected rho in \[0.25, 3\], the slider's range, got 5"):
        BPTTDemo(rho=5)
    with pytest.raises(ValueError, match=r"expected loss 'every step' or 'last step only', got 'mean'"):
        BPTTDemo(loss="mean")
    with pytest.raises(ValueError, match=r"T"):
        BPTTDemo(T=0)
