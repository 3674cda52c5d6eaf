"""The notebook-06 demos, driven as a learner drives them: set a control's value, check the plotted values."""

import numpy as np
import pytest
import torch

from s2s_lab.data import Vocab
from s2s_lab.training import History
from s2s_lab.transformer import Seq2SeqTransformer, causal_mask, sinusoidal_encoding
from s2s_lab.widgets.transformer import (
    PositionalEncodingDemo,
    SelfAttentionDemo,
    attention_figure,
    causal_mask_figure,
    learning_curves_figure,
)

VOCAB = Vocab("abcdefghij 0123456789")


@pytest.fixture
def pe_demo():
    d = PositionalEncodingDemo(max_len=40, d_model=16, p=5, q=9)
    yield d
    assert d.errors == []


@pytest.fixture
def attn_demo():
    torch.manual_seed(0)
    model = Seq2SeqTransformer(
        len(VOCAB),
        len(VOCAB),
        d_model=16,
        nhead=4,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=32,
        max_len=16,
    )
    d = SelfAttentionDemo(model, VOCAB, text="abc 12")
    yield d
    assert d.errors == []


def test_pe_demo_is_a_live_canvas(pe_demo):
    assert pe_demo.view.live and pe_demo.view.widget in pe_demo.widget.children
    assert pe_demo._repr_mimebundle_()["text/plain"].startswith("[positional-encoding explorer")
    assert pe_demo.snapshot().data[:8] == b"\x89PNG\r\n\x1a\n"  # the figure with the read-out under it
    assert pe_demo.readout_text() == pe_demo.readout.value
    np.testing.assert_allclose(pe_demo.image.get_array(), sinusoidal_encoding(40, 16).numpy(), atol=1e-6)


def test_pe_sliders_move_lines_vectors_and_dot_product(pe_demo):
    pe = sinusoidal_encoding(40, 16).double().numpy()
    draws = pe_demo.view.draw_count
    pe_demo.q_slider.value = 17
    assert pe_demo.view.draw_count == draws + 1  # in place
    np.testing.assert_allclose(pe_demo.q_vec.get_ydata(), pe[17])
    assert list(pe_demo.q_line.get_ydata()) == [17, 17]
    x, y = pe_demo.dot_marker.get_data()
    assert x[0] == 12 and y[0] == pytest.approx(pe[5] @ pe[17])
    assert pe_demo.similarity() == pytest.approx(pe[5] @ pe[17])
    assert f"{pe[5] @ pe[17]:.2f}" in pe_demo.readout.value and "q - p = 12" in pe_demo.readout.value
    pe_demo.p_slider.value = 30
    xs, ys = pe_demo.dot_curve.get_data()
    np.testing.assert_array_equal(xs, np.arange(40) - 30)
    np.testing.assert_allclose(ys, pe @ pe[30])
    np.testing.assert_allclose(pe_demo.p_vec.get_ydata(), pe[30])
    assert ys[30] == pytest.approx(8.0) and ys.max() == pytest.approx(8.0)  # |PE|^2 = d/2 at distance 0


def _expected(demo, text, layer, head, causal):
    ids = torch.tensor([VOCAB.encode(text)])
    mask = causal_mask(ids.shape[1]) if causal else None
    model = demo.model.eval()
    with torch.no_grad():
        x = model.embed(ids, model.src_embed)
        for lay in model.encoder_layers[:layer]:
            x = lay(x)
        lay = model.encoder_layers[layer]
        ref = torch.nn.MultiheadAttention(16, 4, batch_first=True)  # PyTorch computes the weights independently
        ref.load_state_dict(lay.self_attn.state_dict())
        attn_mask = None if mask is None else ~mask  # PyTorch's boolean attn_mask: True = NOT allowed
        _, w = ref(x, x, x, attn_mask=attn_mask, average_attn_weights=False)
    return w[0, head].numpy()


def test_attention_demo_panels_hold_the_heads_numbers(attn_demo):
    assert attn_demo._repr_mimebundle_()["text/plain"].startswith("[self-attention explorer")
    np.testing.assert_allclose(
        attn_demo.images["weights"].get_array(), _expected(attn_demo, "abc 12", 0, 0, False), atol=1e-5
    )
    draws = attn_demo.view.draw_count
    attn_demo.layer.value = 1
    attn_demo.head.value = 3
    assert attn_demo.view.draw_count == draws + 2
    np.testing.assert_allclose(
        attn_demo.images["weights"].get_array(), _expected(attn_demo, "abc 12", 1, 3, False), atol=1e-5
    )
    s = attn_demo.parts
    np.testing.assert_allclose(attn_demo.images["Q"].get_array(), s["Q"][0, 3].numpy())
    np.testing.assert_allclose(
        attn_demo.images["heads"].get_array(), (s["weights"][0, 3] @ s["V"][0, 3]).numpy(), atol=1e-6
    )
    scores = s["Q"][0, 3] @ s["K"][0, 3].T / 2.0  # d_h = 4
    np.testing.assert_allclose(attn_demo.images["scores"].get_array(), scores.numpy(), atol=1e-5)
    assert [t.get_text() for t in attn_demo.axes["weights"].get_xticklabels()] == list("abc␣12")


def test_causal_checkbox_masks_the_future(attn_demo):
    attn_demo.head.value = 2
    attn_demo.causal.value = True
    w = attn_demo.images["weights"].get_array()
    np.testing.assert_allclose(w, _expected(attn_demo, "abc 12", 0, 2, True), atol=1e-5)
    assert np.all(np.triu(np.asarray(w), 1) == 0)
    np.testing.assert_allclose(w.sum(1), np.ones(6), atol=1e-6)
    scores = attn_demo.images["scores"].get_array()
    assert scores.mask[0, 1] and not scores.mask[1, 0]  # -inf shown as grey
    np.testing.assert_array_equal(attn_demo.images["mask"].get_array(), causal_mask(6).double().numpy())
    assert "causal mask on" in attn_demo.view.fig._suptitle.get_text()


def test_every_panel_has_a_colour_bar_and_the_weights_keep_0_to_1(attn_demo):
    assert set(attn_demo.colorbars) == set(attn_demo.images)
    for name, image in attn_demo.images.items():
        assert attn_demo.colorbars[name].mappable is image
    for change in (lambda: setattr(attn_demo.head, "value", 1), lambda: setattr(attn_demo.causal, "value", True)):
        change()
        assert attn_demo.images["weights"].get_clim() == (0, 1) and attn_demo.images["mask"].get_clim() == (0, 1)


def test_query_slider_fills_the_formula_in_the_readout_and_snapshot(attn_demo):
    attn_demo.query.value = 2
    w = attn_demo.images["weights"].get_array()[2]
    e = attn_demo.images["scores"].get_array()[2]
    text = attn_demo.readout.value
    assert "query $t = 2$ ('c')" in text and "\\sqrt{4}" in text
    assert ", ".join(f"{v:.2f}" for v in e[:6]) in text and ", ".join(f"{v:.2f}" for v in w[:6]) in text
    best = int(np.argmax(w))
    assert f"on key {best} ('{'abc␣12'[best]}')" in text
    assert attn_demo.row_boxes["weights"].get_y() == 1.5  # the framed row is query 2
    attn_demo.causal.value = True
    assert "-\\infty, -\\infty, -\\infty" in attn_demo.readout.value  # keys 3..5 are the future of query 2
    png = attn_demo.snapshot().data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    attn_demo.text.value = "ab"  # shorter than the query: the slider shrinks and the read-out follows
    assert attn_demo.query.max == 1 and attn_demo.query.value == 1 and "query $t = 1$ ('b')" in attn_demo.readout.value
    with pytest.raises(ValueError, match=r"expected query in 0..5"):
        SelfAttentionDemo(attn_demo.model, VOCAB, text="abc 12", query=6)


def test_a_new_query_moves_only_the_frame_and_the_readout(attn_demo, monkeypatch):
    panels = {name: image.get_array().copy() for name, image in attn_demo.images.items()}
    draws = attn_demo.view.draw_count
    monkeypatch.setattr(attn_demo.model, "self_attention_parts", None)  # the model must not run again
    attn_demo.query.value = 4
    assert attn_demo.view.draw_count == draws + 1
    assert attn_demo.row_boxes["scores"].get_y() == 3.5 and attn_demo.row_boxes["weights"].get_y() == 3.5
    assert "query $t = 4$ ('1')" in attn_demo.readout.value
    for name, image in attn_demo.images.items():
        np.testing.assert_array_equal(image.get_array(), panels[name])


def test_typing_updates_shapes_and_bad_text_is_explained(attn_demo):
    attn_demo.text.value = "2021 09"
    assert attn_demo.images["weights"].get_array().shape == (7, 7)
    assert attn_demo.images["V"].get_array().shape == (7, 4)
    np.testing.assert_allclose(
        attn_demo.images["weights"].get_array(), _expected(attn_demo, "2021 09", 0, 0, False), atol=1e-5
    )
    before = attn_demo.images["weights"].get_array().copy()
    for text, words in [("ABC", "never seen 'A', 'B', 'C'"), ("", "empty"), ("a" * 17, "at most 16")]:
        attn_demo.text.value = text
        assert words in attn_demo.message.value
        np.testing.assert_array_equal(attn_demo.images["weights"].get_array(), before)
    attn_demo.text.value = "fed"
    assert attn_demo.message.value == ""


def test_static_figures():
    fig = causal_mask_figure(4)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), causal_mask(4).double().numpy())  # 1 = may attend
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    fig = attention_figure(np.eye(3), list("abc"), list("xyz"), "t")
    assert fig.axes[0].images[0].get_array().shape == (3, 3)
    assert fig.axes[0].images[0].get_clim() == (0, 1) and len(fig.axes) == 2  # fixed scale, colour bar


def test_learning_curves_figure_plots_each_validation_check():
    h = History(evals=[{"update": 25, "exact_match": 0.2}, {"update": 50, "exact_match": 0.95}])
    fig = learning_curves_figure({"a": h, "b": h}, level=0.9)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3  # two models and the dashed level
    np.testing.assert_array_equal(lines[0].get_xdata(), [25, 50])
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.2, 0.95])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b"]
