"""The experiments of notebooks 04/05 (s2s_lab.experiments) and the checkpoints shipped in data/."""

import pytest

from s2s_lab import Seq2Seq, make_task
from s2s_lab.checkpoints import save_checkpoint
from s2s_lab.experiments import accuracy_by_length, load_trained, save_trained, train_dates

SHIPPED = {
    "reversal_plain": None,
    "reversal_attention": "additive",
    "dates_dot": "dot",
    "dates_general": "general",
    "dates_scaled_dot": "scaled_dot",
}


@pytest.mark.parametrize("name, attention", SHIPPED.items())
def test_shipped_checkpoints_load_with_their_task(name, attention):
    model, task = load_trained(name)
    assert model.config["attention"] == attention and not model.training
    assert task.name == name.split("_")[0]
    assert len(task.src_vocab) == model.config["src_vocab_size"]


def test_accuracy_by_length_and_save_load_round_trip(tmp_path):
    task = make_task("reversal", 50, 10, 60, seed=0, min_len=3, max_len=5, alphabet="abcd")
    model = Seq2Seq(len(task.src_vocab), len(task.tgt_vocab), 4, 8)
    curve = accuracy_by_length(model, task)
    assert list(curve) == [3, 4, 5] and all(0 <= a <= 1 for a in curve.values())


def test_train_dates_pipeline_runs(tmp_path):
    r = train_dates("dot", max_seconds=1.0, n_train=256, n_val=32, n_test=32, eval_every=2)
    assert r.history.stopped in ("max_seconds", "target", "epochs") and 0 <= r.test["exact_match"] <= 1
    save_trained(tmp_path / "d.pt", r, seed=0)
    again, task = load_trained(tmp_path / "d.pt")
    assert again.config == r.model.config and task.name == "dates"
    with pytest.raises(ValueError, match="not of a notebook experiment"):
        save_checkpoint(tmp_path / "plain.pt", r.model)
        load_trained(tmp_path / "plain.pt")
    with pytest.raises(FileNotFoundError, match="ships"):
        load_trained("no_such_model")


def test_recipes_tasks_and_train_seq2seq():
    from dataclasses import replace

    from s2s_lab.experiments import REVERSAL_RECIPE, recipe_task, train_seq2seq

    recipe = replace(REVERSAL_RECIPE, n_train=128, n_val=16, n_test=32, epochs=2, batch_size=32)
    task = recipe_task(recipe)
    assert task.name == "reversal" and len(task.train) == 128 and task.max_src_len == 8
    r = train_seq2seq(task, recipe, validate=False)
    assert len(r.history.updates) == 2 * 4 and r.history.stopped == "epochs"  # no validation: every update kept
    assert r.model.max_src_len == 8 and set(r.test) >= {"exact_match", "teacher_forced_accuracy"}
    again = train_seq2seq(task, recipe, validate=False)
    assert again.history.losses == r.history.losses  # the same seed, the same run


def test_teacher_forcing_experiment_trains_one_model_per_ratio():
    from dataclasses import replace

    from s2s_lab.experiments import TEACHER_FORCING_RECIPE, teacher_forcing_experiment

    recipe = replace(TEACHER_FORCING_RECIPE, n_train=64, n_val=8, n_test=16, epochs=1)
    runs = teacher_forcing_experiment((1.0, 0.0), recipe=recipe)
    assert list(runs) == [1.0, 0.0] and all(0 <= m["token_accuracy"] <= 1 for m in runs.values())


def test_shipped_metadata_says_what_the_data_readme_says():
    from s2s_lab.experiments import shipped_metadata

    info = shipped_metadata("dates_general")
    assert info["task"] == "dates" and info["updates"] == 408 and info["test_exact_match"] == pytest.approx(0.956)


def test_reversal_alignment_of_the_shipped_model_is_off_by_one():
    """Notebook 05: the shipped reversal model looks at the letter it wrote last (S + 2 - t), not at the one it
    writes (S + 1 - t): its query is the previous decoder state."""
    from s2s_lab.experiments import reversal_alignment

    model, task = load_trained("reversal_attention")
    where = reversal_alignment(model, task, task.test[:200])
    assert where["peak at previous letter"] > 0.95 and where["peak at current letter"] < 0.05
    assert where["first step at S"] > 0.95


def test_attention_on_and_date_alignment():
    from s2s_lab import decode_text
    from s2s_lab.experiments import DATE_EXAMPLES, attention_on, date_alignment

    model, task = load_trained("dates_general")
    result = decode_text(model, "3rd of March 2021", task.src_vocab, task.tgt_vocab)
    assert attention_on(result, slice(0, 10), slice(0, 17)) == pytest.approx(1.0, abs=1e-5)  # rows sum to 1
    assert 0 <= attention_on(result, slice(0, 4), slice(13, 17)) <= 1
    with pytest.raises(ValueError, match="select no"):
        attention_on(result, slice(0, 0), slice(0, 3))
    where = date_alignment(model, task)
    assert set(where) == {*DATE_EXAMPLES, "03/03/21: largest weight of '20'"}
    assert all(0 <= w <= 1 + 1e-6 for w in where.values())


def test_every_trained_figure_of_04_and_05_is_registered():
    from s2s_lab.experiments import FIGURES

    assert {n[:2] for n in FIGURES} >= {"04", "05"}
    assert all(callable(fn) for fn in FIGURES.values())
