"""The shipped SentencePiece models: the collection's special ids, exact round trips on the whole validation
split, byte fallback, and that the shipped files are what the recorded command trains on the training split."""

import re
from pathlib import Path

import pytest
import torch

from s2s_lab.checkpoints import shipped
from s2s_lab.data import BOS, EOS, PAD, SPECIALS, UNK
from s2s_lab.subwords import OPTIONS, VOCAB_SIZE, SubwordTokenizer, train_tokenizer
from s2s_lab.translation_data import load_pairs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["en", "fr"])
def lang_tok(request):
    return request.param, SubwordTokenizer.shipped(request.param)


def test_specials_have_the_collection_ids(lang_tok):
    _, tok = lang_tok
    assert len(tok) == VOCAB_SIZE
    assert [tok.piece(i) for i in (PAD, BOS, EOS, UNK)] == list(SPECIALS)
    assert UNK not in tok.encode("Zyxwvut, quxxle ÆØÅ 漢字 😀.")


def test_every_validation_sentence_round_trips_exactly(lang_tok):
    lang, tok = lang_tok
    texts = [pair[lang == "fr"] for pair in load_pairs("valid")]
    ids = tok.encode_batch(texts)
    assert all(UNK not in s for s in ids)
    assert [tok.decode(s) for s in ids] == texts  # all 1,424 (measured: 100% for both languages)


def test_french_sentence_pieces_and_round_trip():
    fr = SubwordTokenizer.shipped("fr")
    assert fr.pieces("Je n'ai pas faim.") == ["▁Je", "▁n", "'", "ai", "▁pas", "▁faim", "."]
    assert fr.decode(fr.encode("Je n'ai pas faim.")) == "Je n'ai pas faim."
    assert "".join(fr.pieces("Où est la bibliothèque ?")).replace("▁", " ").strip() == "Où est la bibliothèque ?"


def test_unseen_characters_become_bytes_not_unknowns():
    fr = SubwordTokenizer.shipped("fr")
    text = "Ça coûte 5 € 😀 !"
    pieces = fr.pieces(text)
    assert "<0xF0>" in pieces and "<unk>" not in pieces  # the emoji, as its 4 UTF-8 bytes
    assert fr.decode(fr.encode(text)) == text


def test_encode_normalises_first():
    fr = SubwordTokenizer.shipped("fr")
    assert fr.encode("J’ai faim\u202f!") == fr.encode("J'ai faim !")
    assert fr.encode_batch(["J’ai faim\u202f!", "Va !"]) == [fr.encode("J'ai faim !"), fr.encode("Va !")]


def test_bos_eos_and_decode_conventions():
    en = SubwordTokenizer.shipped("en")
    ids = en.encode("I won.", bos=True, eos=True)
    assert ids[0] == BOS and ids[-1] == EOS and ids[1:-1] == en.encode("I won.")
    assert en.decode(ids + [PAD, PAD]) == "I won."
    assert en.decode(ids[1:-1] + [EOS] + en.encode("Go.")) == "I won."  # stops at <eos>
    assert en.decode(torch.tensor(ids)) == "I won."


def test_bad_input_is_named():
    en = SubwordTokenizer.shipped("en")
    with pytest.raises(ValueError, match=r"expected token ids in \[0, 3999\], got 4000"):
        en.decode([5, 4000])
    with pytest.raises(ValueError, match="expected one sequence of ids \\(a 1-D tensor\\), got shape \\(1, 2\\)"):
        en.decode(torch.tensor([[5, 6]]))
    with pytest.raises(ValueError, match="expected the text as a str, got int"):
        en.encode(5)
    with pytest.raises(ValueError, match="expected a list of texts, got one str"):
        en.encode_batch("Go.")
    with pytest.raises(ValueError, match="expected a language among \\('en', 'fr'\\), got 'de'"):
        SubwordTokenizer.shipped("de")
    with pytest.raises(FileNotFoundError, match="no SentencePiece model at"):
        SubwordTokenizer("no/such.model")


def test_a_model_without_the_collection_specials_is_refused():
    sentences = [fr for _, fr in load_pairs("valid")]
    default_ids = {k: v for k, v in OPTIONS.items() if not k.endswith(("_id", "_piece"))}
    with pytest.raises(ValueError, match="expected the special pieces"):
        train_tokenizer(sentences, 400, **default_ids, unk_id=0, bos_id=1, eos_id=2, pad_id=-1)


def test_train_tokenizer_on_a_small_corpus(tmp_path):
    sentences = [fr for _, fr in load_pairs("valid")]
    tok = train_tokenizer(sentences, 500)
    assert len(tok) == 500 and tok.piece(PAD) == "<pad>"
    tok.save(tmp_path / "small.model")
    again = SubwordTokenizer(tmp_path / "small.model")
    assert again.encode(sentences[0]) == tok.encode(sentences[0])
    assert again.decode(again.encode(sentences[-1])) == sentences[-1]


@pytest.mark.parametrize("k, lang", [(0, "en"), (1, "fr")])
def test_shipped_model_is_what_the_recorded_command_trains_on_the_training_split(k, lang):
    sentences = list(dict.fromkeys(pair[k] for pair in load_pairs("train")))
    assert train_tokenizer(sentences, VOCAB_SIZE).model == shipped(f"eng-fra-{lang}.model").read_bytes()


def test_readme_records_the_training_options():
    text = (ROOT / "data" / "README.md").read_text()
    recorded = dict(re.findall(r"(\w+)=(\"[^\"]*\"|[\w.]+)", text.split("SentencePieceTrainer.train(")[1]))
    for key, value in {**OPTIONS, "vocab_size": VOCAB_SIZE, "num_threads": 1}.items():
        assert recorded.get(key) == (f'"{value}"' if isinstance(value, str) else str(value)), key
