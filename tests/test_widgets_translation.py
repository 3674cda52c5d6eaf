"""The demos of notebook 07, driven from Python as the notebook's reader drives them in the browser."""

import numpy as np
import pytest
import torch

from s2s_lab import fit
from s2s_lab.experiments import translation_eval as te
from s2s_lab.experiments.translation import bleu_metric
from s2s_lab.translation_data import group_references
from s2s_lab.widgets.translation import TranslateDemo, TranslationMonitor, bleu_by_length_figure
from tests.test_translation_eval import TINY, TINY_RNN, tiny


@pytest.fixture(scope="module")
def demo():
    d = TranslateDemo({"T": tiny(TINY), "R": tiny(TINY_RNN)}, "I am hungry.", examples=["Go."], beam=3)
    yield d
    d.close()


def test_typing_translates_and_lists_the_hypotheses(demo):
    demo.model.value = "T"
    demo.text.value = "Where is the station?"
    assert demo.source == ["▁Where", "▁is", "▁the", "▁station", "?"]
    assert demo.image.get_array().shape == (len(demo.target), len(demo.source))
    assert demo.output.value.count("<tr>") == 1 + min(8, len(demo.result.hypotheses))
    assert demo.french in demo.output.value.replace("&#x27;", "'") or demo.french == ""
    assert not demo.errors


def test_layer_and_head_pick_the_map(demo):
    demo.model.value = "T"
    demo.text.value = "I like green apples."
    shown_mean = np.array(demo.image.get_array())
    assert np.allclose(shown_mean, demo.maps[-1].mean(0))
    demo.head.value = 1
    assert np.allclose(demo.image.get_array(), demo.maps[demo.layer.value][1])
    assert "head 2" in demo.ax.get_title()
    assert not demo.errors


def test_switching_to_the_rnn_shows_its_one_map(demo):
    demo.model.value = "R"
    assert demo.maps.shape[:2] == (1, 1)
    assert demo.layer.disabled and demo.head.disabled
    assert "α_tj" in demo.ax.get_title()
    demo.model.value = "T"
    assert not demo.layer.disabled


def test_beam_width_changes_the_search(demo):
    demo.model.value = "T"
    demo.beam.value = 1
    greedy_best = demo.result.best.tokens
    demo.beam.value = 6
    assert "beam k=6" in demo.ax.get_title()  # the plot changes with k even when the best translation does not
    assert len(demo.result.hypotheses) >= 1
    assert demo.result.best.score >= -1e9 and isinstance(greedy_best, list)
    assert not demo.errors


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_input_is_explained_and_the_last_translation_kept(demo, text):
    demo.text.value = "Go."
    before = demo.french
    demo.text.value = text
    assert "empty" in demo.message.value and demo.french == before
    demo.text.value = "Go home."
    assert demo.message.value == ""


def test_an_overlong_or_strange_input_still_translates(demo):
    demo.text.value = " ".join(["word"] * 500)
    demo.model.value = "T"
    assert len(demo.source) == demo.translators["T"].model.max_src_len and not demo.errors
    demo.text.value = "Zorblax 🐈 !!!"
    assert demo.source and not demo.errors


def test_picking_an_example_fills_the_text(demo):
    demo.pick.value = "Go."
    assert demo.text.value == "Go."


def test_a_bad_first_sentence_or_no_translator_raises():
    with pytest.raises(ValueError, match="Translator"):
        TranslateDemo({}, "Go.")
    with pytest.raises(ValueError, match="empty"):
        TranslateDemo({"T": tiny(TINY)}, "  ")


def test_monitor_draws_the_loss_and_translates_at_every_evaluation():
    t = tiny(TINY)
    t.model.train()
    batches = te.live_training_setup(updates=6)[1]
    monitor = TranslationMonitor(t.model, ["Go.", "I am hungry."], t.src_tokenizer, t.tgt_tokenizer, every=2)
    metric = bleu_metric(group_references(te.short_pairs("valid"))[:4], t.src_tokenizer, t.tgt_tokenizer)
    torch.manual_seed(0)
    history = fit(t.model, batches, epochs=1, lr=1e-3, val_metric=metric, eval_every=3, callback=monitor, threads=1)
    assert [u for u, _ in monitor.samples] == [3, 6] and all(len(out) == 2 for _, out in monitor.samples)
    assert list(monitor.loss_line.get_xdata()) == history.updates
    assert len(monitor.bleu_line.get_xdata()) == 2
    assert monitor.table.value.count("<tr>") == 3
    assert monitor.snapshot().data[:4] == b"\x89PNG"
    assert not monitor.errors
    with pytest.raises(ValueError, match="English sentences"):
        TranslationMonitor(t.model, "Go.", t.src_tokenizer, t.tgt_tokenizer)


def test_bleu_by_length_figure_has_a_line_per_model():
    rows = te.bleu_by_length(["Va !", "x"], ["Va !", "y"], ["Go.", "a b c d e f g"])
    fig = bleu_by_length_figure({"a": rows, "b": rows})
    assert len(fig.axes[-1].get_lines()) == 2 or len(fig.axes[0].get_lines()) == 2
