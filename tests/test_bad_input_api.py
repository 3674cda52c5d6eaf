"""Bad arguments to the public functions and classes (masks, encodings, attention, vocabularies, tasks): each
gets one sentence naming what was expected and what was received, never a raw error from inside torch."""

import pytest
import torch

from s2s_lab import LSTM
from s2s_lab.attention import AdditiveAttention, MultiHeadAttention, make_attention, masked_softmax, scaled_dot_product
from s2s_lab.data import PairDataset, Vocab, collate, pad
from s2s_lab.gate_variants import lstm_step_circular_output
from s2s_lab.memory_tasks import MarkedOneHot, decode_marked, encode_marked, remember_marked
from s2s_lab.tasks import make_task
from s2s_lab.transformer import (
    LayerNorm,
    Seq2SeqTransformer,
    TransformerEncoderLayer,
    causal_mask,
    sinusoidal_encoding,
    token_mask,
)

# -- masks and positional encodings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: causal_mask(-1), ValueError, "T (the sequence length) must be a positive int, got -1"),
        (lambda: causal_mask(0), ValueError, "positive int, got 0"),
        (lambda: causal_mask(2.5), TypeError, "T (the sequence length) should be of type int, got float 2.5"),
        (lambda: causal_mask(True), TypeError, "got bool True"),
        (lambda: sinusoidal_encoding(10.5, 8), TypeError, "max_len should be of type int, got float 10.5"),
        (lambda: sinusoidal_encoding(10, 0), ValueError, "d_model must be a positive int, got 0"),
        (lambda: sinusoidal_encoding("10", 8), TypeError, "max_len should be of type int, got str '10'"),
        (
            lambda: token_mask(torch.zeros(2, 3)),
            ValueError,
            "integer tensor of shape (B, T), got a torch.float32 tensor "
            "of shape (2, 3); pass the token ids, not their embeddings",
        ),
        (lambda: token_mask([[1, 0]]), ValueError, "integer tensor of shape (B, T), got list"),
        (lambda: token_mask(torch.tensor([1, 0])), ValueError, "of shape (2)"),
        (lambda: token_mask(torch.tensor([[1, 0]]), pad_id=-1), ValueError, "pad_id must be an int >= 0"),
    ],
    ids=range(11),
)
def test_masks_and_encodings(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


def test_good_masks_still_work():
    assert causal_mask(1).tolist() == [[True]]
    assert token_mask(torch.tensor([[4, 0]], dtype=torch.int32)).tolist() == [[True, False]]


# -- attention ---------------------------------------------------------------------------------------------


def test_multi_head_attention_arguments():
    with pytest.raises(
        ValueError,
        match=r"embed_dim divisible by num_heads .* embed_dim=10 and num_heads=3; "
        r"num_heads could be one of \[1, 2, 5, 10\]",
    ):
        MultiHeadAttention(10, 3)
    with pytest.raises(TypeError, match="embed_dim should be of type int, got float 10.0"):
        MultiHeadAttention(10.0, 2)
    with pytest.raises(ValueError, match=r"dropout should be a number in \[0, 1\]"):
        MultiHeadAttention(8, 2, dropout="0.1")
    mha, x = MultiHeadAttention(8, 2), torch.randn(2, 3, 8)
    with pytest.raises(
        ValueError, match=r"mask must be a torch.Tensor \(\(T_q, T_k\) bool, True = may attend\), got list"
    ):
        mha(x, x, x, mask=[[0]])
    with pytest.raises(
        ValueError, match=r"key_mask must be a torch.Tensor \(\(B, T_k\) bool, True = real key\), got list"
    ):
        mha(x, x, x, key_mask=[[0]])


def test_attention_functions_name_the_expected_shape():
    q, k = torch.randn(2, 3, 4), torch.randn(3, 5, 4)
    with pytest.raises(
        ValueError,
        match=r"same leading \(batch, head\) dimensions .*\(2, 3, 4\), \(3, 5, 4\) and "
        r"\(3, 5, 6\)",
    ):
        scaled_dot_product(q, k, torch.randn(3, 5, 6))
    with pytest.raises(ValueError, match=r"mask broadcastable to the scores' shape = \(2, 3\), got \(2, 4\)"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must be boolean .*got dtype torch.int64"):  # 0/1 ints are not a mask
        masked_softmax(torch.randn(2, 3), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(
        ValueError,
        match=r"mask must be a torch.Tensor \(bool, True = may attend; or float, added to the scores\), got list",
    ):
        masked_softmax(torch.randn(2, 3), [[True]])
    with pytest.raises(ValueError, match=r"boolean mask of shape \(B=2, T=3\) .*got list"):
        AdditiveAttention(4, 4, 4)(torch.randn(2, 4), torch.randn(2, 3, 4), mask=[[True]])
    with pytest.raises(TypeError, match="query_size should be of type int"):
        AdditiveAttention(4.0, 4, 4)
    with pytest.raises(ValueError, match="attn_size must be a positive int, got 0"):  # was silently query_size
        make_attention("additive", 4, 4, attn_size=0)


# -- transformer layers ------------------------------------------------------------------------------------


def test_transformer_arguments():
    with pytest.raises(ValueError, match=r"LayerNorm input of shape \(\.\.\., d=4\), got \(2, 3\)"):
        LayerNorm(4)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="LayerNorm input must be a floating-point tensor"):
        LayerNorm(4)(torch.ones(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="normalized_shape must be a positive int, got 0"):
        LayerNorm(0)
    assert LayerNorm((4,)).normalized_shape == 4  # nn.LayerNorm's tuple form
    with pytest.raises(TypeError, match="dim_feedforward should be of type int, got float 2.5"):
        TransformerEncoderLayer(8, 2, dim_feedforward=2.5)
    with pytest.raises(TypeError, match="norm_first should be of type bool"):
        TransformerEncoderLayer(8, 2, norm_first="yes")
    with pytest.raises(TypeError, match="batch_first should be of type bool"):
        TransformerEncoderLayer(8, 2, batch_first="False")  # "False" is truthy: was silently accepted
    with pytest.raises(ValueError, match="pad_id=9 is not a token id of both vocabularies"):
        Seq2SeqTransformer(12, 9, d_model=8, nhead=2, pad_id=9)
    model = Seq2SeqTransformer(12, 12, d_model=8, nhead=2, dim_feedforward=16, max_len=8)
    src = torch.tensor([[4, 5]])
    with pytest.raises(ValueError, match=r"max_len as a whole number >= 1 .*got 2.5"):
        model.greedy_decode(src, torch.ones_like(src, dtype=torch.bool), 2.5)
    with pytest.raises(ValueError, match="expected src as token ids"):
        model([[4, 5]], torch.ones(1, 2, dtype=torch.bool), torch.tensor([[1]]))


# -- vocabularies and batches -------------------------------------------------------------------------------

V = Vocab("abc")


def test_decode_takes_one_sequence_and_says_how_to_decode_a_batch():
    tokens = torch.tensor([[4, 5, 2], [6, 2, 0]])  # what greedy_decode returns: (B, T)
    with pytest.raises(
        ValueError,
        match=r"one sequence, shape \(T,\), got a 2-D tensor of shape \(2, 3\); "
        r"decode one row, e.g. vocab.decode\(tokens\[0\]\)",
    ):
        V.decode(tokens)
    assert V.decode(tokens[0]) == "ab" and V.decode(tokens[1].tolist()) == "c"
    assert V.decode(list(tokens[0])) == "ab"  # a list of 0-d tensors
    with pytest.raises(ValueError, match=r"nested sequence; decode one row"):
        V.decode(tokens.tolist())
    with pytest.raises(ValueError, match=r"a single id 4; wrap it in a list"):
        V.decode(tokens[0, 0])
    with pytest.raises(ValueError, match=r"integer token ids, got a torch.float32 tensor.*argmax"):
        V.decode(torch.tensor([4.0, 5.0]))
    with pytest.raises(ValueError, match=r"integer token ids, got 4.0 \(float\)"):
        V.decode([4.0])
    with pytest.raises(ValueError, match=r"got a str 'ab'; to turn text into ids, use encode"):
        V.decode("ab")
    with pytest.raises(ValueError, match=r"got an int 5; to turn ids back into text, use decode"):
        V.encode(5)


@pytest.mark.parametrize(
    "tokens, level, words",
    [
        ("aab", "char", "the token 'a' appears twice"),
        (["<pad>", "a"], "word", "'<pad>' is a special token"),
        (["ab", "c"], "char", "holds single characters, got the token 'ab'; use level='word'"),
        ([1, 2], "char", "every token to be a non-empty str, got 1"),
        (["a", ""], "word", "non-empty str, got ''"),
        (None, "char", "a str or a list of str, got None"),
        (5, "char", "got an int 5"),
    ],
)
def test_vocab_refuses_ambiguous_tokens(tokens, level, words):
    with pytest.raises(ValueError) as info:
        Vocab(tokens, level)
    assert words in str(info.value)


def test_vocab_from_texts_wants_a_list():
    with pytest.raises(ValueError, match=r"a list of texts, got a single str 'the cat'; wrap it in a list"):
        Vocab.from_texts("the cat", "word")


def test_batches_name_what_is_wrong():
    with pytest.raises(
        ValueError, match="every sequence as a list of int token ids, got a str 'ab' at position 0; encode text"
    ):
        pad(["ab"])
    with pytest.raises(ValueError, match="got an int 1 at position 0"):
        pad([1, 2])
    with pytest.raises(ValueError, match=r"\(source ids, target ids\) pairs, got a list \[1, 2, 3\]"):
        collate([[1, 2, 3]])
    with pytest.raises(ValueError, match="every source as a list of int token ids, got an int 1"):
        collate([[1, 2]])
    with pytest.raises(ValueError, match=r"\(source text, target text\) pairs of str, got a str 'ab' at position 0"):
        PairDataset(["ab"], V, V)  # was silently the pair ('a', 'b')


# -- tasks ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"name": "sorting"}, ValueError, "expected task 'reversal' or 'dates', got 'sorting'"),
        ({"name": "reversal", "n_train": 2.5}, TypeError, "n_train should be of type int, got float 2.5"),
        ({"name": "reversal", "seed": None}, TypeError, "seed should be of type int, got NoneType None"),
        ({"name": "reversal", "max_len": 3.5}, TypeError, "max_len should be of type int, got float 3.5"),
        ({"name": "reversal", "alphabet": ["ab", "c"]}, ValueError, "alphabet as a str of characters"),
        ({"name": "dates", "formats": "ordinal"}, ValueError, "a list of date format names, e.g. ['ordinal']"),
        ({"name": "reversal", "n_train": -1}, ValueError, "non-negative split sizes"),
    ],
    ids=range(7),
)
def test_make_task_arguments(kwargs, exc, words):
    with pytest.raises(exc) as info:
        make_task(**{"n_train": 10, "n_val": 5, "n_test": 5, **kwargs})
    assert words in str(info.value)


def test_make_task_without_training_pairs_prints():
    task = make_task("reversal", n_train=0, n_val=5, n_test=5)
    assert "0 train / 5 val / 5 test" in repr(task)  # its repr used to fail with IndexError


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: remember_marked(3, -1), ValueError, "delay >= 0"),
        (lambda: remember_marked(3, 1.5), TypeError, "delay should be of type int, got float 1.5"),
        (lambda: remember_marked(2.0, 1), TypeError, "num_sequences should be of type int"),
        (lambda: remember_marked(3, 1, alphabet="ab1"), ValueError, "two distinct lower-case letters"),
        (lambda: decode_marked(torch.zeros(3)), ValueError, "shape (T, V+1=5)"),
        (lambda: decode_marked(torch.zeros(2, 3, 5)), ValueError, "for a batch (N, T, V+1), decode x[0]"),
        (lambda: decode_marked(torch.zeros(3, 7)), ValueError, "got shape (3, 7)"),  # was decoded silently
        (
            lambda: encode_marked("  "),
            ValueError,
            "non-empty sequence of letters from 'abcd' (e.g. 'cbAdbca'), got only",
        ),
        (lambda: encode_marked("ab\tC"), ValueError, "got a tab in"),
        (lambda: MarkedOneHot(max_len=0), ValueError, "max_len must be a positive int"),
    ],
    ids=range(10),
)
def test_memory_task_arguments(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


# -- layers' traces and the gate variants ------------------------------------------------------------------


def test_trace_names_its_layers_directions_and_quantities():
    trace = LSTM(3, 4, num_layers=2).trace(torch.randn(5, 2, 3))
    with pytest.raises(ValueError, match=r"layer in 0..1 and direction in 0..0 .*got layer=2"):
        trace.at(2)
    with pytest.raises(ValueError, match=r"direction in 0..0 \(the layer is not bidirectional\)"):
        trace.at(0, 1)
    with pytest.raises(KeyError, match=r"records 'i', 'f', 'g', 'o', 'c', 'h', not 'a'"):
        trace["a"]
    assert trace.at(1)["h"].shape == (5, 2, 4)


def test_circular_output_iterations_must_be_an_int():
    z = torch.zeros(1, 2)
    with pytest.raises(ValueError, match=r"iterations >= 1 \(an int\), got 1.5"):
        lstm_step_circular_output(torch.zeros(1, 8), z, z, torch.zeros(8, 2), None, iterations=1.5)
