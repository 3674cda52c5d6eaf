"""Training engine (s2s_lab.training): loss, metrics, fit, interrupts, checkpoints."""

import copy

import pytest
import torch
import torch.nn.functional as F

from s2s_lab import PairDataset, make_loader, make_task, seed_everything
from s2s_lab.checkpoints import load_checkpoint, save_checkpoint
from s2s_lab.data import EOS, PAD
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.training import evaluate, exact_match, fit, masked_cross_entropy, token_accuracy


def test_masked_cross_entropy_equals_ignore_index():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=g, requires_grad=True)
    tgt = torch.randint(1, 7, (3, 5), generator=g)
    tgt[0, 3:] = PAD
    tgt[2, 1:] = PAD
    ours = masked_cross_entropy(logits, tgt, tgt != PAD)
    ref = F.cross_entropy(logits.reshape(-1, 7), tgt.reshape(-1), ignore_index=PAD)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)
    (g1,) = torch.autograd.grad(ours, logits)
    (g2,) = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(g1, g2, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="expected logits"):
        masked_cross_entropy(logits[0], tgt, tgt != PAD)


def test_exact_match_and_token_accuracy():
    tgt = torch.tensor([[5, 6, EOS], [7, EOS, PAD]])
    mask = tgt != PAD
    pred = torch.tensor([[5, 6, EOS, PAD], [7, 6, EOS, PAD]])  # row 1 stops one step late
    assert exact_match(pred, tgt, mask).tolist() == [True, False]
    assert token_accuracy(pred, tgt, mask) == (4, 5)
    short = torch.tensor([[5], [7]])  # stopped too early (no <eos>)
    assert exact_match(short, tgt, mask).tolist() == [False, False]
    assert token_accuracy(short, tgt, mask) == (2, 5)


def _reversal(n_train=250):
    t = make_task("reversal", n_train, 50, 0, seed=0, min_len=3, max_len=3, alphabet="abcdefg")
    train = make_loader(PairDataset(t.train, t.src_vocab, t.tgt_vocab), 32, shuffle=True, seed=0)
    val = make_loader(PairDataset(t.val, t.src_vocab, t.tgt_vocab), 100)
    return t, train, val


def test_tiny_model_learns_reversal_of_length_3():
    seed_everything(0)
    t, train, val = _reversal()
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), emb_size=16, hidden_size=64)
    before = evaluate(model, val)["exact_match"]
    hist = fit(model, train, val_loader=val, epochs=40, lr=1e-2, target=1.0, device="cpu")
    assert before < 0.1
    assert hist.stopped == "target" and hist.best["exact_match"] == 1.0
    assert evaluate(model, val)["exact_match"] == 1.0
    assert len(hist.updates) == len(hist.losses) and hist.losses[-1] < hist.losses[0]


def test_fit_is_reproducible_and_respects_max_seconds():
    runs = []
    for _ in range(2):
        seed_everything(0)
        t, train, val = _reversal(100)
        model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)
        runs.append(fit(model, train, epochs=2, teacher_forcing=0.5, device="cpu").losses)
    assert runs[0] == runs[1]
    hist = fit(model, train, epochs=1000, max_seconds=0.3, device="cpu")
    assert hist.stopped == "max_seconds" and hist.seconds < 5
    with pytest.raises(ValueError, match="teacher_forcing in"):
        fit(model, train, teacher_forcing=2.0)


def test_keyboard_interrupt_keeps_best_weights():
    seed_everything(0)
    t, train, val = _reversal()
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)
    snapshots = {}

    def callback(hist):
        step = hist.updates[-1]
        if hist.evals and hist.evals[-1]["update"] == step:
            snapshots[step] = copy.deepcopy(model.state_dict())
        if step == 13:
            snapshots["now"] = copy.deepcopy(model.state_dict())
            raise KeyboardInterrupt

    hist = fit(model, train, val_loader=val, epochs=5, lr=1e-2, eval_every=5, callback=callback, device="cpu")
    assert hist.interrupted and hist.best["update"] in (5, 10)
    best = snapshots[hist.best["update"]]
    assert all(torch.equal(v, best[k]) for k, v in model.state_dict().items())
    assert not all(torch.equal(v, snapshots["now"][k]) for k, v in model.state_dict().items())


def test_checkpoint_round_trip(tmp_path):
    t, train, val = _reversal(50)
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16, cell="lstm", bidirectional=True, max_src_len=3)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, src_tokens=t.src_vocab.tokens, note="hi")
    again, extra = load_checkpoint(path)
    assert extra == {"src_tokens": t.src_vocab.tokens, "note": "hi"}
    assert again.config == model.config
    b = next(iter(val))
    torch.testing.assert_close(again(b.src, b.src_mask, b.tgt_in), model(b.src, b.src_mask, b.tgt_in))
    into = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16, cell="lstm", bidirectional=True, max_src_len=3)
    load_checkpoint(path, into)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in into.state_dict().items())


def test_bad_checkpoints_give_clear_messages(tmp_path):
    model = Seq2Seq(9, 9, 8, 16)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nope.pt")
    save_checkpoint(tmp_path / "m.pt", model)
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged"):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an s2s-lab checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"different settings: hidden_size=16 \(yours: 32\)"):
        load_checkpoint(tmp_path / "m.pt", Seq2Seq(9, 9, 8, 32))
    blob = torch.load(tmp_path / "m.pt", weights_only=True)
    blob["config"] = None
    blob["state_dict"]["decoder.out.weight"] = torch.zeros(3, 3)
    torch.save(blob, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match="does not fit this model: decoder.out.weight has shape"):
        load_checkpoint(tmp_path / "shape.pt", model)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(epochs=0), "epochs as a whole number >= 1"),
        (dict(epochs=-2), "epochs as a whole number >= 1"),
        (dict(epochs=1.5), "epochs as a whole number >= 1"),
        (dict(lr=float("nan")), "finite learning rate"),
        (dict(lr=float("inf")), "finite learning rate"),
        (dict(lr=0), "finite learning rate"),
        (dict(clip=0), "clip > 0"),
        (dict(clip=-1.0), "clip > 0"),
        (dict(clip=float("nan")), "clip > 0"),
        (dict(teacher_forcing=-0.1), "teacher_forcing in"),
        (dict(max_seconds=0), "max_seconds > 0"),
        (dict(eval_every=0), "eval_every as a whole number"),
        (dict(target=1.5), r"target in \(0, 1\]"),
        (dict(threads=0), "threads as a whole number"),
    ],
)
def test_fit_refuses_settings_that_would_do_nothing_or_diverge(kwargs, message):
    t, train, val = _reversal(50)
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=message):
        fit(model, train, device="cpu", **kwargs)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_fit_refuses_an_empty_dataset():
    t, _, _ = _reversal(50)
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)
    empty = make_loader(PairDataset([], t.src_vocab, t.tgt_vocab), 8)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, empty, device="cpu")
    with pytest.raises(ValueError, match="no batches"):
        fit(model, iter([]), device="cpu")  # a loader without len()


def test_interrupt_before_any_evaluation_says_the_model_keeps_its_latest_weights(capsys):
    t, train, _ = _reversal(200)
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)

    def stop_at_3(hist):
        if len(hist.updates) == 3:
            raise KeyboardInterrupt

    hist = fit(model, train, epochs=3, callback=stop_at_3, device="cpu")
    assert hist.interrupted and not hist.evals and len(hist.updates) == 3
    assert "keeps its latest weights (update 3; no evaluation had happened yet)" in capsys.readouterr().out


def test_a_classifier_trains_with_the_same_fit():
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 5, 3, generator=g)
    y = (x[:, -1, 0] > 0).long()
    data = DataLoader(TensorDataset(x, y), batch_size=16)
    from s2s_lab import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier("GRU", 3, 8, 2)
    hist = fit(model, data, val_loader=data, epochs=30, lr=3e-2, target=1.0, device="cpu")
    assert hist.best["accuracy"] == 1.0 and hist.stopped == "target" and hist.accuracies[-1] == 1.0
    assert evaluate(model, data)["accuracy"] == 1.0


def test_save_checkpoint_refuses_what_it_could_not_load_back(tmp_path):
    import numpy as np

    from s2s_lab import Vocab

    model = Seq2Seq(9, 9, 8, 16)
    with pytest.raises(ValueError, match=r"extra\['vocab'\] is a Vocab.*vocab.tokens"):
        save_checkpoint(tmp_path / "m.pt", model, vocab=Vocab("abc"))
    with pytest.raises(ValueError, match=r"extra\['scores'\]\[1\] is a ndarray.*tolist"):
        save_checkpoint(tmp_path / "m.pt", model, scores=[1.0, np.zeros(3)])
    with pytest.raises(ValueError, match=r"extra\['torch'\] is a TorchVersion.*str\(\.\.\.\)"):
        save_checkpoint(tmp_path / "m.pt", model, torch=torch.__version__)  # a str subclass torch.load refuses
    with pytest.raises(ValueError, match="expected a torch.nn.Module"):
        save_checkpoint(tmp_path / "m.pt", {"weights": 1})
    with torch.no_grad():
        model.decoder.out.bias[0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinity"):
        save_checkpoint(tmp_path / "m.pt", model)
    assert not (tmp_path / "m.pt").exists()
