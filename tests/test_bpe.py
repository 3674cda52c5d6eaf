"""The byte-pair-encoding demo against the paper's own code (Sennrich et al., 2016, Algorithm 1)."""

import collections
import re

import pytest

from s2s_lab.bpe import EOW, apply_bpe, learn_bpe, merge_pair, pair_counts, word_counts

CLASSIC = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3


def paper_algorithm_1(vocab, num_merges):
    """Algorithm 1 of Sennrich, Haddow & Birch (2016), as printed in the paper (returning the merges)."""

    def get_stats(vocab):
        pairs = collections.defaultdict(int)
        for word, freq in vocab.items():
            symbols = word.split()
            for i in range(len(symbols) - 1):
                pairs[symbols[i], symbols[i + 1]] += freq
        return pairs

    def merge_vocab(pair, v_in):
        v_out = {}
        bigram = re.escape(" ".join(pair))
        p = re.compile(r"(?<!\S)" + bigram + r"(?!\S)")
        for word in v_in:
            w_out = p.sub("".join(pair), word)
            v_out[w_out] = v_in[word]
        return v_out

    merges = []
    for _ in range(num_merges):
        pairs = get_stats(vocab)
        best = max(pairs, key=pairs.get)
        vocab = merge_vocab(best, vocab)
        merges.append(best)
    return merges


def test_classic_example_gives_the_papers_merges():
    merges = learn_bpe(CLASSIC, 10)
    paper = paper_algorithm_1({"l o w </w>": 5, "l o w e r </w>": 2, "n e w e s t </w>": 6, "w i d e s t </w>": 3}, 10)
    assert merges == paper
    assert merges[:5] == [("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w")]


def test_the_paper_agrees_on_real_sentences_too():
    texts = ["the cat sat on the mat", "the cats sat", "a hat on a cat", "that is the mat"] * 2
    vocab = collections.Counter(" ".join(word) + " </w>" for text in texts for word in text.split())
    assert learn_bpe(texts, 12) == paper_algorithm_1(vocab, 12)


def test_counts_are_weighted_by_word_frequency():
    words = word_counts(CLASSIC)
    assert words[("l", "o", "w", EOW)] == 5 and len(words) == 4
    pairs = pair_counts(words)
    assert pairs[("e", "s")] == 6 + 3 and pairs[("l", "o")] == 5 + 2 and pairs[("w", "e")] == 2 + 6


def test_unseen_word_is_split_into_learned_subwords():
    merges = learn_bpe(CLASSIC, 10)
    assert apply_bpe("lowest", merges) == ["low", "est</w>"]
    assert apply_bpe("newer", merges) == ["new", "e", "r", EOW]
    known = {a + b for a, b in merges} | set("lowernstid") | {EOW}
    for word in ("lowest", "widen", "slowest", "tower"):
        pieces = apply_bpe(word, merges)
        assert "".join(pieces) == word + EOW
        assert all(p in known or len(p) == 1 for p in pieces)


def test_ties_go_to_the_pair_read_first():
    assert learn_bpe(["ab cd"], 1) == [("a", "b")]
    assert learn_bpe(["cd ab"], 1) == [("c", "d")]
    assert learn_bpe(["ab cd"] * 3, 4) == learn_bpe(["ab cd"] * 3, 4)


def test_learning_stops_when_every_word_is_one_symbol():
    merges = learn_bpe(["aa aa"], 10)
    assert merges == [("a", "a"), ("aa", EOW)]
    assert apply_bpe("aa", merges) == ["aa</w>"]


def test_merge_pair_left_to_right():
    assert merge_pair(("a", "a", "a", EOW), ("a", "a")) == ("aa", "a", EOW)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="expected a list of sentences \\(str\\), got str"):
        learn_bpe("low lower", 3)
    with pytest.raises(ValueError, match="expected num_merges as a whole number >= 0, got -1"):
        learn_bpe(CLASSIC, -1)
    with pytest.raises(ValueError, match="expected one word"):
        apply_bpe("two words", [])
