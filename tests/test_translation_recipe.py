"""The English → French recipe (s2s_lab.experiments.translation): schedule, averaging, translating text,
the validation BLEU, and a tiny training run end to end (checkpoint, best-keeping, resume)."""

import gzip
import math
import warnings
from dataclasses import replace

import pytest
import torch
from _tiny_translation import TINY, TINY_RNN

from s2s_lab.bleu import corpus_bleu
from s2s_lab.checkpoints import save_checkpoint
from s2s_lab.experiments.translation import (
    RNN,
    TRANSFORMER,
    InputTruncated,
    Translator,
    average_state_dicts,
    bleu_metric,
    build_model,
    evaluate_translation,
    inverse_sqrt_schedule,
    read_pairs_file,
    save_half_precision,
    state_path_for,
    train_translation,
    translate_texts,
    validation_subset,
)
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.transformer import Seq2SeqTransformer
from s2s_lab.translation_data import load_references


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tiny.pt"
    logs = []
    result = train_translation(TINY, out, device="cpu", progress=False, log=logs.append, command="test")
    return result, logs


# ---------------------------------------------------------------------------------------------- the recipes
def test_the_recipes_build_the_two_models_of_the_notebooks():
    tf = build_model(TRANSFORMER, 4000, 4000)
    rnn = build_model(RNN, 4000, 4000)
    assert isinstance(tf, Seq2SeqTransformer) and tf.norm_first and tf.config["dropout"] == TRANSFORMER.dropout
    assert isinstance(rnn, Seq2Seq) and rnn.config["attention"] == "additive" and rnn.config["bidirectional"]
    assert rnn.config["cell"] == "gru" and rnn.config["dropout"] == RNN.dropout and rnn.max_src_len == RNN.max_len
    for model in (tf, rnn):  # each fits in 20 MB in half precision
        assert 2 * sum(p.numel() for p in model.parameters()) < 20e6


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(kind="lstm"), "kind among"),
        (dict(warmup=-1), "warmup as a whole number >= 0"),
        (dict(batch_size=0), "batch_size as a whole number >= 1"),
        (dict(dropout=1.0), r"dropout as a probability in \[0, 1\)"),
        (dict(minutes=0), "minutes > 0"),
        (dict(n_train=0), "n_train as a whole number >= 1"),
    ],
)
def test_a_recipe_refuses_settings_that_cannot_work(change, message):
    with pytest.raises(ValueError, match=message):
        replace(TRANSFORMER, **change)


def test_inverse_sqrt_schedule_warms_up_linearly_then_decays():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = inverse_sqrt_schedule(opt, warmup=4)
    rates = []
    for _ in range(16):
        rates.append(opt.param_groups[0]["lr"])  # the rate of update n = len(rates)
        opt.step()
        sched.step()
    expected = [min(n / 4, math.sqrt(4 / n)) for n in range(1, 17)]
    assert rates == pytest.approx(expected)
    assert max(rates) == rates[3] == 1.0 and rates[15] == pytest.approx(0.5)
    flat = inverse_sqrt_schedule(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3), warmup=0)
    assert flat.get_last_lr() == [0.3]
    with pytest.raises(ValueError, match="warmup as a whole number"):
        inverse_sqrt_schedule(opt, warmup=2.5)


def test_average_state_dicts_is_the_elementwise_mean():
    models = [torch.nn.Linear(3, 2) for _ in range(3)]
    states = [m.state_dict() for m in models]
    avg = average_state_dicts(states)
    torch.testing.assert_close(avg["weight"], (states[0]["weight"] + states[1]["weight"] + states[2]["weight"]) / 3)
    counter = {"n": torch.tensor(7)}
    assert average_state_dicts([{"n": torch.tensor(5)}, counter])["n"] == 7  # integers: the last one's
    with pytest.raises(ValueError, match="at least one state_dict"):
        average_state_dicts([])


# ---------------------------------------------------------------------------------------------- the training
def test_a_tiny_training_saves_its_best_evaluation_with_what_is_needed_to_use_it(trained):
    result, logs = trained
    hist, extra = result.history, result.translator.extra
    assert hist.stopped == "max_seconds" and hist.evals and result.path.is_file() and result.state_path.is_file()
    assert extra["update"] == hist.best["update"] and extra["valid"]["bleu"] == hist.best["bleu"]
    assert extra["tokenizers"] == {"src": "eng-fra-en.model", "tgt": "eng-fra-fr.model"}
    assert extra["recipe"]["model"]["d_model"] == 32 and extra["recipe"]["label_smoothing"] == 0.1
    assert extra["command"] == "test" and len(extra["evals"]) >= 1
    assert all({"bleu", "chrf", "loss", "lr", "train_loss"} <= set(e) for e in hist.evals)
    assert any("(best so far: saved)" in line for line in logs)
    assert hist.losses[-1] < hist.losses[0]  # it learns something even in a few seconds


def test_resume_goes_on_where_the_training_stopped(trained, tmp_path):
    result, _ = trained
    out = tmp_path / "again.pt"
    for src, dst in ((result.path, out), (result.state_path, state_path_for(out))):
        dst.write_bytes(src.read_bytes())
    before = torch.load(state_path_for(out), weights_only=True)["history"]
    logs = []
    again = train_translation(TINY, out, minutes=0.08, device="cpu", resume=True, progress=False, log=logs.append)
    hist = again.history
    assert logs[0].startswith(f"resuming again.pt at update {before['updates']}")
    assert hist.updates[: before["updates"]] == list(range(1, before["updates"] + 1))
    assert len(hist.updates) > before["updates"] and hist.seconds > before["seconds"]
    assert hist.evals[: len(before["evals"])] == before["evals"]
    with pytest.raises(ValueError, match=r"another recipe: label_smoothing=0.1 \(now 0.0\)"):
        train_translation(replace(TINY, label_smoothing=0.0), out, device="cpu", resume=True, progress=False)
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train_translation(TINY, tmp_path / "other.pt", device="cpu", resume=True, progress=False)


def test_ctrl_c_keeps_the_best_checkpoint_and_the_state_to_resume(tmp_path):
    def log(line):  # Ctrl-C right after the first evaluation was saved
        if "best so far: saved" in line:
            raise KeyboardInterrupt

    out = tmp_path / "stopped.pt"
    result = train_translation(replace(TINY, minutes=1.0), out, device="cpu", progress=False, log=log)
    hist = result.history
    assert hist.interrupted and len(hist.evals) == 1 and result.translator.extra["update"] == hist.evals[0]["update"]
    state = torch.load(state_path_for(out), weights_only=True)
    assert state["history"]["updates"] == len(hist.updates)


def test_the_rnn_recipe_trains_and_averages_its_last_checkpoints(tmp_path):
    logs = []
    recipe = replace(TINY_RNN, average=3, minutes=0.03, eval_every=5)
    result = train_translation(recipe, tmp_path / "rnn.pt", device="cpu", progress=False, log=logs.append)
    assert isinstance(result.translator.model, Seq2Seq) and result.translator.model.config["dropout"] == 0.1
    assert len(result.history.evals) >= 2
    assert any(line.startswith("average of the last") for line in logs)
    assert result.translator.translate(["Hello."], beam=2)[0] is not None


# ---------------------------------------------------------------------------------------------- translating
def test_translate_texts_gives_one_output_per_input_in_order(trained):
    tr = trained[0].translator
    texts = ["I am hungry.", "", "Tom is here.", "   ", "Where is the station?", "Hello!"]
    together = tr.translate(texts, beam=3, batch_size=4)
    alone = [tr.translate([t], beam=3)[0] for t in texts]
    assert len(together) == len(texts) and together == alone
    assert together[1] == together[3] == ""
    assert tr.translate(texts, beam=1) == [tr.translate([t], beam=1)[0] for t in texts]
    a = tr.translate(texts, sample=True, temperature=1.5, top_k=50, seed=3)
    assert a == tr.translate(texts, sample=True, temperature=1.5, top_k=50, seed=3)
    assert a[1] == "" and all("\n" not in t for t in a)


def test_a_too_long_input_is_cut_with_a_warning_naming_it(trained):
    tr = trained[0].translator
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = tr.translate(["Hello.", " ".join(["word"] * 500)], beam=2)
    assert len(out) == 2
    (w,) = [w.message for w in caught if isinstance(w.message, InputTruncated)]
    assert (w.index, w.limit) == (1, 40) and w.length > 40
    assert "input 2 has" in str(w) and "at most 40" in str(w)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(texts="Hello."), "a list of texts, got one str"),
        (dict(beam=0), "beam .* as a whole number >= 1"),
        (dict(sample=True, temperature=0), "temperature as a number > 0"),
        (dict(sample=True, top_p=1.5), r"top_p in \(0, 1\]"),
    ],
)
def test_translate_texts_refuses_bad_settings(trained, kwargs, message):
    tr = trained[0].translator
    texts = kwargs.pop("texts", ["Hello."])
    with pytest.raises(ValueError, match=message):
        translate_texts(tr.model, texts, tr.src_tokenizer, tr.tgt_tokenizer, **kwargs)


def test_the_validation_bleu_is_sacrebleu_on_greedy_translations(trained):
    tr = trained[0].translator
    subset = validation_subset(6)
    refs = load_references("valid")
    assert subset[0] == refs[0] and subset[-1] == refs[5 * len(refs) // 6] and subset == validation_subset(6)
    result = bleu_metric(subset, tr.src_tokenizer, tr.tgt_tokenizer)(tr.model)
    hyps = tr.translate([en for en, _ in subset], beam=1)
    assert result["score"] == result["bleu"] == corpus_bleu(hyps, [r for _, r in subset]).score
    assert math.isfinite(result["loss"]) and 0 <= result["chrf"] <= 100


def test_evaluate_translation_scores_every_reference(trained, tmp_path):
    tr = trained[0].translator
    pairs = [("Hello.", "Bonjour."), ("Hello.", "Salut."), ("I am here.", "Je suis ici.")]
    scores = evaluate_translation(tr, pairs, beam=2)
    assert scores["sentences"] == 2 and "nrefs:var" in scores["BLEU"].signature
    path = tmp_path / "pairs.tsv.gz"
    path.write_bytes(gzip.compress(b"Hello.\tBonjour.\n\nI am here.\tJe suis ici.\n"))
    assert read_pairs_file(path) == [("Hello.", "Bonjour."), ("I am here.", "Je suis ici.")]


@pytest.mark.parametrize(
    "content, message",
    [
        ("Hello.\tBonjour.\nno tab here\n", "line 2: expected 'English<TAB>French'"),
        ("Hello.\tBonjour.\textra\n", "line 1: expected 'English<TAB>French'"),
        ("\n\n", "holds no sentence pairs"),
        (b"\xff\xfe\x00", "could not read 'p.tsv' as UTF-8"),
    ],
)
def test_read_pairs_file_names_the_bad_line(tmp_path, content, message):
    path = tmp_path / "p.tsv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=message):
        read_pairs_file(path)
    with pytest.raises(FileNotFoundError, match="no file of sentence pairs"):
        read_pairs_file(tmp_path / "missing.tsv")


def test_translator_refuses_a_checkpoint_that_is_not_a_translation_model(tmp_path):
    save_checkpoint(tmp_path / "rev.pt", Seq2Seq(9, 9, 8, 16))
    with pytest.raises(ValueError, match="not of a translation model"):
        Translator.load(tmp_path / "rev.pt")
    save_checkpoint(
        tmp_path / "small.pt", Seq2Seq(9, 9, 8, 16), tokenizers={"src": "eng-fra-en.model", "tgt": "eng-fra-fr.model"}
    )
    with pytest.raises(ValueError, match="vocabularies of 9 and 9 pieces, but its subword models have 4000"):
        Translator.load(tmp_path / "small.pt")


def test_a_half_precision_copy_is_half_the_size_and_translates_alike(trained, tmp_path):
    result, _ = trained
    half = tmp_path / "half.pt"
    save_half_precision(result.path, half)
    assert half.stat().st_size < 0.6 * result.path.stat().st_size
    tr16 = Translator.load(half, device="cpu")
    assert next(tr16.model.parameters()).dtype == torch.float32 and tr16.extra == result.translator.extra
    texts = ["I am hungry.", "Tom is here."]
    assert len(tr16.translate(texts, beam=2)) == 2
