import pytest
import torch

from s2s_lab.memory_tasks import MarkedOneHot, decode_marked, encode_marked, input_size, marked_answer, remember_marked


def test_shapes_labels_and_marks():
    x, y = remember_marked(50, delay=7, lead=3, seed=1).tensors
    assert x.shape == (50, 3 + 1 + 7, input_size()) and y.shape == (50,) and y.dtype == torch.long
    assert torch.all(x[..., :-1].sum(-1) == 1)  # one symbol per step
    assert torch.all(x[..., -1].sum(-1) == 1)  # one mark per sequence
    where = x[..., -1].argmax(-1)
    assert where.max() <= 3  # at least `delay` steps follow the mark
    assert torch.equal(x[torch.arange(50), where, :-1].argmax(-1), y)
    assert set(y.tolist()) == {0, 1, 2, 3}


def test_deterministic_from_seed():
    a, b, c = (remember_marked(20, 5, seed=s).tensors for s in (3, 3, 4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_encode_decode_round_trip():
    x = encode_marked("cbAdb")
    assert x.shape == (5, 5) and x[2, -1] == 1 and x[:, -1].sum() == 1 and x[2, 0] == 1
    assert decode_marked(x) == "cbAdb"
    assert marked_answer("cbAdb") == 0 and marked_answer("dD") == 3
    for row in remember_marked(5, 4, seed=0).tensors[0]:
        assert torch.equal(encode_marked(decode_marked(row)), row)


@pytest.mark.parametrize(
    "text, words",
    [
        ("abcd", "exactly one upper-case"),
        ("aBCd", "got 2"),
        ("", "non-empty"),
        ("abXe", "'X', 'e' in 'abXe'"),
        (None, "non-empty"),
    ],
)
def test_bad_text_is_explained(text, words):
    with pytest.raises(ValueError, match=words):
        encode_marked(text)


def test_encoder_for_demos():
    enc = MarkedOneHot(max_len=6)
    assert enc.size == len(enc.alphabet) == 5
    assert torch.equal(enc.encode("aBc"), encode_marked("aBc"))
    with pytest.raises(ValueError, match="at most 6"):
        enc.encode("aBcdabcd")


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(num_sequences=0, delay=3), "positive"),
        (dict(num_sequences=3, delay=-1), "delay >= 0"),
        (dict(num_sequences=3, delay=2, alphabet="a"), "two distinct"),
    ],
)
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        remember_marked(**kwargs)
