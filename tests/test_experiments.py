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
    assert r.history.stopped in ("max_seconds", "target") and 0 <= r.test["exact_match"] <= 1
    save_trained(tmp_path / "d.pt", r, seed=0)
    again, task = load_trained(tmp_path / "d.pt")
    assert again.config == r.model.config and task.name == "dates"
    with pytest.raises(ValueError, match="not of a notebook experiment"):
        save_checkpoint(tmp_path / "plain.pt", r.model)
        load_trained(tmp_path / "plain.pt")
    with pytest.raises(FileNotFoundError, match="ships"):
        load_trained("no_such_model")
