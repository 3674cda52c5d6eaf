"""The demos of notebook 08, driven from Python as the notebook's reader drives them in the browser (on tiny
untrained translators)."""

import types

import numpy as np
import pytest

from s2s_lab.decoding import path_to, sampling_distribution
from s2s_lab.widgets.decoding import PRUNED, WINDOW, BeamTreeDemo, SamplingDemo, tree_layout
from tests.test_translation_eval import TINY, TINY_RNN, tiny


@pytest.fixture(scope="module", params=["transformer", "rnn"])
def translator(request):
    return tiny(TINY if request.param == "transformer" else TINY_RNN)


@pytest.fixture
def tree_demo(translator):
    d = BeamTreeDemo(translator, "Where is the station?", k=3)
    yield d
    d.close()


def _drawn_ids(demo):
    return [n.id for n in demo.shown]


def test_the_tree_grows_with_the_step_slider(tree_demo):
    d = tree_demo
    assert d.step.value == d.step.max == max(n.step for n in d.tree)
    d.step.value = 1
    assert {d.tree[i].step for i in _drawn_ids(d)} == {0, 1}
    first = len(d.shown)
    assert first <= 1 + 3 + 3 + PRUNED  # the root, k kept, at most k finished, the pruned shown
    d.step.value = 3
    assert {d.tree[i].step for i in _drawn_ids(d)} == {0, 1, 2, 3} and len(d.shown) > first
    visible = [lab for lab in d.labels if lab.get_visible()]
    assert len(visible) == len(d.shown)  # one label per node, the rest of the pool hidden
    assert len(d.dots.get_offsets()) + len(d.ends.get_offsets()) == len(d.shown)
    assert not d.errors


def test_colours_say_kept_pruned_finished(tree_demo):
    d = tree_demo
    d.step.value = d.step.max
    statuses = [d.tree[i].status for i in d._dot_ids]
    colours = d.dots.get_facecolors()
    for status, colour in zip(statuses, colours):
        expected = {"pruned": 0.75, "root": 0.3}.get(status)
        if expected is not None:
            assert np.allclose(colour[:3], expected)
        else:
            assert not np.allclose(colour[:3], colour[0])  # a colour, not a grey
    finished = [n for n in d.shown if n.status == "finished"]
    assert len(d.ends.get_offsets()) == len(finished)


def test_a_long_search_shows_a_window_of_steps():
    d = BeamTreeDemo(tiny(TINY), "The cat that we saw yesterday sleeps on the red sofa.", k=8, alpha=0.0)
    assert d.step.max > WINDOW
    d.step.value = d.step.max
    steps = {n.step for n in d.shown}
    assert min(steps) == d.step.max - WINDOW + 1 and max(steps) == d.step.max
    lo, hi = d.ax.get_xlim()
    assert lo < min(steps) and hi > max(steps)
    assert not d.errors
    d.close()


def test_k_and_alpha_search_again(tree_demo):
    d = tree_demo
    d.k.value = 1
    assert all(len([n for n in d.tree if n.step == t and n.status == "open"]) <= 1 for t in range(1, d.step.max))
    d.k.value = 5
    assert max(sum(n.status == "open" for n in d.tree if n.step == t) for t in range(1, d.step.max)) <= 5
    before = [h.score for h in d.result.hypotheses]
    d.alpha.value = 0.0
    assert [h.score for h in d.result.hypotheses] != before
    assert all(h.score == pytest.approx(h.log_prob) for h in d.result.hypotheses)
    assert "k=5, α=0.0" in d.ax.get_title()
    assert not d.errors


def test_selecting_a_node_shows_its_top_10(tree_demo, translator):
    d = tree_demo
    d.step.value = 2
    node = [i for _, i in d.node.options][-1]
    d.node.value = node
    expected = d.next_log_probs.exp().topk(10)
    assert [b.get_width() for b in d.bars] == pytest.approx(expected.values.tolist())
    tok = translator.tgt_tokenizer
    assert [w for w, _ in d.top] == [tok.piece(int(i)) for i in expected.indices]
    path = path_to(d.tree, node)
    assert d.bar_ax.get_title().endswith(f"{(tok.decode(path) or '⟨bos⟩')[-24:]}”")
    assert tuple(d.ring.get_xdata()) == (d.pos[node][0],)
    d.select(d.node.options[0][1])  # the same as a click
    assert d.node.value == d.node.options[0][1]
    d.select(10**6)
    assert "not one of the kept nodes" in d.message.value
    assert not d.errors


def test_a_click_on_a_node_selects_it(tree_demo):
    d = tree_demo
    d.step.value = 2
    i = next(j for j, n in enumerate(d._dot_ids) if d.tree[n].status == "open")
    d._on_pick(types.SimpleNamespace(artist=d.dots, ind=[i]))
    assert d.node.value == d._dot_ids[i]


def test_a_forced_prefix_starts_the_tree(tree_demo, translator):
    d = tree_demo
    d.prefix.value = "Où est"
    forced = [n for n in d.tree if n.status == "forced"]
    assert [n.token for n in forced] == translator.tgt_tokenizer.encode("Où est")
    assert all(h.tokens[: len(forced)] == [n.token for n in forced] for h in d.result.hypotheses)
    d.prefix.value = ""
    assert not any(n.status == "forced" for n in d.tree)
    assert not d.errors


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_explained_and_the_last_tree_kept(tree_demo, text):
    d = tree_demo
    tree = d.tree
    d.text.value = text
    assert "empty" in d.message.value and d.tree is tree
    d.text.value = "Go home."
    assert d.message.value == "" and d.tree is not tree


def test_long_and_strange_inputs(tree_demo, translator):
    d = tree_demo
    d.text.value = " ".join(["word"] * 500)
    assert len(d.source) == (translator.model.max_src_len or 128) and not d.errors
    d.text.value = "Zorblax 🐈 !!!"
    assert d.source and not d.errors
    d.prefix.value = " ".join(["chat"] * 80)
    if translator.model.config.get("max_len"):  # a Transformer writes at most max_len pieces
        assert "shorten the prefix" in d.message.value
    assert not d.errors


def test_the_figure_is_drawn_once_and_updated_in_place(tree_demo):
    d = tree_demo
    fig, ax, labels = d.view.fig, d.ax, list(d.labels)
    d.step.value = 1
    d.step.value = 2
    d.k.value = 2
    assert d.view.fig is fig and d.ax is ax and d.labels[: len(labels)] == labels
    assert len(fig.axes) == 2


def test_tree_layout_rows_follow_parents():
    d = BeamTreeDemo(tiny(TINY), "I am hungry.", k=4)
    pos = tree_layout(d.tree, d.step.max)
    for t in range(1, d.step.max + 1):
        nodes = sorted((n for n in d.tree if n.step == t), key=lambda n: pos[n.id][1])
        assert [pos[n.id][1] for n in nodes] == list(range(len(nodes)))
        parents = [pos[n.parent][1] for n in nodes]
        assert parents == sorted(parents)
    d.close()


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def sampling(translator):
    d = SamplingDemo(translator, "I am hungry.", n_samples=3)
    yield d
    d.close()


def test_temperature_reshapes_the_bars(sampling):
    d = sampling
    heights = lambda: np.array([b.get_height() for b in d.bars])  # noqa: E731
    model = np.array([b.get_height() for b in d.model_bars])
    assert heights() == pytest.approx(model, abs=1e-6)  # T = 1, nothing cut: q is p
    d.temperature.value = 0.2
    sharp = heights()
    assert sharp == pytest.approx(sampling_distribution(d.log_probs, 0.2)[d.order].numpy(), abs=1e-6)
    d.temperature.value = 3.0
    flat = heights()
    assert sharp.max() > flat.max() and "T=3.00" in d.ax.get_title()
    assert np.array([b.get_height() for b in d.model_bars]) == pytest.approx(model)  # p stays
    assert not d.errors


def test_top_k_and_top_p_cut_the_distribution(sampling):
    d = sampling
    d.top_k.value = 4
    assert int((d.q > 0).sum()) == 4 and "4 pieces can be drawn" in d.ax.get_title()
    d.top_k.value = 0
    d.top_p.value = 0.1
    kept = int((d.q > 0).sum())
    assert 1 <= kept and float(d.p.sort(descending=True).values[: kept - 1].sum()) < 0.1
    assert d.settings() == dict(temperature=1.0, top_k=None, top_p=0.1)
    assert not d.errors


def test_samples_are_seeded(sampling):
    d = sampling
    d.temperature.value = 1.5
    first = list(d.samples)
    assert len(first) == 3 and d.output.value.count("<tr>") == 4
    d.seed.value = 7
    d.seed.value = 0
    assert d.samples == first
    d.top_k.value = 1  # top-1: every sample is the greedy translation
    assert len({t for t, _ in d.samples}) == 1
    assert d.samples[0][0] == d.translator.translate(["I am hungry."], beam=1)[0]


def test_a_prefix_moves_the_distribution(sampling, translator):
    d = sampling
    before = d.log_probs.clone()
    d.prefix.value = "J'ai"
    assert not np.allclose(before.numpy(), d.log_probs.numpy())
    assert "J'ai" in d.ax.get_title()
    d.prefix.value = " ".join(["chat"] * 80)
    if translator.model.config.get("max_len"):
        assert "writes at most" in d.message.value
    assert not d.errors


@pytest.mark.parametrize("text", ["", " ".join(["word"] * 500), "Zorblax 🐈 !!!"])
def test_bad_or_odd_text(sampling, text):
    d = sampling
    d.text.value = text
    if not text.strip():
        assert "empty" in d.message.value
    else:
        assert d.message.value == "" and len(d.samples) == 3
    assert not d.errors


def test_bad_arguments_are_explained(translator):
    with pytest.raises(ValueError, match="Translator"):
        BeamTreeDemo("model", "Go.")
    with pytest.raises(ValueError, match="n_samples"):
        SamplingDemo(translator, "Go.", n_samples=0)


def test_beam_curse_figure_draws_a_line_per_alpha():
    from s2s_lab.experiments.decoding_eval import beam_curse
    from s2s_lab.widgets.decoding import beam_curse_figure

    rows = beam_curse(tiny(TINY), [("Go.", ["Va !"]), ("I am hungry.", ["J'ai faim."])], widths=(1, 2), alphas=(0, 0.6))
    fig = beam_curse_figure(rows)
    bleu_ax, len_ax = fig.axes
    assert len(bleu_ax.lines) == 2 and len(len_ax.lines) == 3  # two alphas, and the references' length
    assert list(len_ax.lines[0].get_ydata()) == [r["words"] for r in rows[:2]]
