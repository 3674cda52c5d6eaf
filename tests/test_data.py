"""Tokenisation, vocabulary, padding/masks and batches (s2s_lab.data)."""

import pytest
import torch

from s2s_lab.data import BOS, EOS, PAD, UNK, Batch, PairDataset, Vocab, collate, make_loader, pad, tokenise


def test_tokenise_char_and_word():
    assert tokenise("3 May") == ["3", " ", "M", "a", "y"]
    assert tokenise("Hello, world!", "word") == ["Hello", ",", "world", "!"]
    with pytest.raises(ValueError, match="level 'char' or 'word'"):
        tokenise("x", "byte")


def test_vocab_specials_and_round_trip():
    v = Vocab("abc")
    assert v.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (v.stoi["<pad>"], v.stoi["<bos>"], v.stoi["<eos>"], v.stoi["<unk>"]) == (PAD, BOS, EOS, UNK)
    ids = v.encode("cab", bos=True, eos=True)
    assert ids == [BOS, 6, 4, 5, EOS]
    assert v.decode(ids) == "cab"
    assert v.decode([6, EOS, 4]) == "c"  # stops at <eos>
    assert Vocab(v.tokens).itos == v.itos


def test_vocab_from_texts_is_order_independent_and_word_level():
    a = Vocab.from_texts(["the cat", "a dog"], "word")
    b = Vocab.from_texts(["a dog", "the cat"], "word")
    assert a.itos == b.itos and len(a) == 4 + 4
    assert a.decode(a.encode("the dog")) == "the dog"


def test_unknown_tokens():
    v = Vocab("abc")
    assert v.encode("abz") == [4, 5, UNK]
    assert v.unknown("zazy") == ["z", "y"]
    with pytest.raises(ValueError, match=r"unknown chars 'z', 'y': this vocabulary only knows 'abc'"):
        v.encode("zazy", strict=True)


def test_pad_and_mask():
    ids, mask = pad([[5, 6, 7], [8]])
    assert ids.tolist() == [[5, 6, 7], [8, PAD, PAD]]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert ids.dtype == torch.long and mask.dtype == torch.bool
    with pytest.raises(ValueError):
        pad([])


def test_collate_shifts_target():
    b = collate([([4, 5, 6], [7, 8]), ([9], [10, 11, 12])])
    assert isinstance(b, Batch)
    assert b.src.tolist() == [[4, 5, 6], [9, PAD, PAD]]
    assert b.src_mask.tolist() == [[True, True, True], [True, False, False]]
    assert b.tgt_in.tolist() == [[BOS, 7, 8, PAD], [BOS, 10, 11, 12]]
    assert b.tgt_out.tolist() == [[7, 8, EOS, PAD], [10, 11, 12, EOS]]
    assert b.tgt_mask.tolist() == [[True, True, True, False], [True, True, True, True]]
    assert b.to("cpu").src.equal(b.src)


def test_dataset_and_loader_deterministic():
    v = Vocab("abcd")
    ds = PairDataset([("ab", "ba"), ("abc", "cba"), ("d", "d"), ("cd", "dc")], v, v)
    assert ds[1] == ([4, 5, 6], [6, 5, 4])
    orders = [[b.src.tolist() for b in make_loader(ds, 2, shuffle=True, seed=3)] for _ in range(2)]
    assert orders[0] == orders[1]
    with pytest.raises(ValueError, match="unknown char"):
        PairDataset([("ax", "xa")], v, v)
    with pytest.raises(ValueError, match="empty"):
        PairDataset([("", "")], v, v)
