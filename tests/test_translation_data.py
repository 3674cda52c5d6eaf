"""The shipped English-French data: normalisation, the split by English sentence, the README's counts,
the subword-id dataset and length batching."""

import fnmatch
import gzip
import re
import subprocess
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest
import torch

from s2s_lab.data import BOS, EOS, PAD, Batch
from s2s_lab.subwords import SubwordTokenizer
from s2s_lab.translation_data import (
    MAX_WORDS,
    SPLITS,
    LengthBatchSampler,
    TranslationDataset,
    clean_pairs,
    english_key,
    group_references,
    load_pairs,
    load_references,
    make_split,
    make_translation_loader,
    normalise,
    padding_fraction,
    split_file,
)

ROOT = Path(__file__).resolve().parents[1]
OURS = ["translation_data", "subwords", "bpe", "bleu"]


# ---------------------------------------------------------------------------------------------- normalise
@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Va\u202f!", "Va !"),  # narrow no-break space
        ("Qui\u00a0?", "Qui ?"),  # no-break space
        ("Recule\u2009!", "Recule !"),  # thin space
        ("J’ai gagné.", "J'ai gagné."),  # typographic apostrophe
        ("J‘aime celui-ci.", "J'aime celui-ci."),
        ("sur \u200b\u200bla cuisine", "sur la cuisine"),  # zero-width spaces
        ("in the sink\u00ad.", "in the sink."),  # soft hyphen
        ("  Il  fait\tbeau. \n", "Il fait beau."),
        ("Ça coûte cher, n'est-ce pas ? « Oui » !", "Ça coûte cher, n'est-ce pas ? « Oui » !"),  # kept as is
        ("Je n'ai pas faim.", "Je n'ai pas faim."),
    ],
)
def test_normalise(raw, clean):
    assert normalise(raw) == clean


def test_normalise_composes_accents_and_is_idempotent():
    decomposed = unicodedata.normalize("NFD", "Élève à côté")
    assert len(decomposed) > len("Élève à côté")
    assert normalise(decomposed) == "Élève à côté"
    assert normalise(normalise(decomposed)) == normalise(decomposed)


def test_normalise_says_what_it_expected():
    with pytest.raises(ValueError, match="expected the text as a str, got bytes"):
        normalise(b"Va !")


def test_english_key_ignores_case_and_spacing():
    assert english_key("France is in  Western Europe.") == english_key("France is in western Europe.")
    assert english_key("Go.") != english_key("Go!")


# ---------------------------------------------------------------------------------------------- the split
def test_clean_pairs_drops_long_and_duplicate_pairs_and_keeps_order():
    long = " ".join(["word"] * (MAX_WORDS + 1))
    pairs = [("I won.", "J’ai gagné."), (long, "Court."), ("Hi.", "Salut !"), ("I won.", "J'ai gagné."), ("A.", long)]
    assert clean_pairs(pairs) == [("I won.", "J'ai gagné."), ("Hi.", "Salut !")]


def synthetic_pairs(n=300):
    return [(f"Sentence {k}.", f"Phrase {k} v{j}.") for k in range(n) for j in range(1 + k % 3)]


def test_make_split_keeps_every_english_sentence_in_one_split():
    pairs = synthetic_pairs()
    split = make_split(pairs, n_test=20, n_valid=30)
    assert sorted(p for rows in split.values() for p in rows) == sorted(pairs)
    keys = {s: {english_key(en) for en, _ in rows} for s, rows in split.items()}
    assert len(keys["test"]) == 20 and len(keys["valid"]) == 30 and len(keys["train"]) == 250
    assert not keys["test"] & keys["train"] and not keys["valid"] & keys["train"] and not keys["test"] & keys["valid"]
    for rows in split.values():  # all translations of a sentence kept, in the input's order
        assert rows == [p for p in pairs if english_key(p[0]) in {english_key(en) for en, _ in rows}]


def test_make_split_is_deterministic_and_independent_of_order_and_case():
    pairs = synthetic_pairs()
    a = make_split(pairs, 20, 30)
    b = make_split(list(reversed(pairs)), 20, 30)
    assert {s: set(rows) for s, rows in a.items()} == {s: set(rows) for s, rows in b.items()}
    upper = make_split([(en.upper(), fr) for en, fr in pairs], 20, 30)
    assert {en.lower() for en, _ in upper["test"]} == {en.lower() for en, _ in a["test"]}


def test_make_split_needs_enough_sentences():
    with pytest.raises(ValueError, match="more than n_test \\+ n_valid = 2000 distinct English sentences, got 300"):
        make_split(synthetic_pairs())


# ---------------------------------------------------------------------------------------------- shipped data
def test_shipped_test_and_validation_english_never_occur_in_training():
    train = {english_key(en) for en, _ in load_pairs("train")}
    valid = {english_key(en) for en, _ in load_pairs("valid")}
    test = {english_key(en) for en, _ in load_pairs("test")}
    assert len(test) == 1000 and len(valid) == 1000
    assert not test & train and not valid & train and not test & valid


def readme_counts():
    text = (ROOT / "data" / "README.md").read_text()
    rows = re.findall(r"^\| `(eng-fra-\w+\.tsv\.gz)` \|[^|\n]*\| ([\d,]+) \| ([\d,]+) \|$", text, re.M)
    return {name: (int(p.replace(",", "")), int(s.replace(",", ""))) for name, p, s in rows}


def test_readme_states_the_shipped_counts():
    counts = readme_counts()
    assert set(counts) == {split_file(s) for s in SPLITS}
    for split in SPLITS:
        pairs = load_pairs(split)
        assert counts[split_file(split)] == (len(pairs), len({english_key(en) for en, _ in pairs})), split
    text = (ROOT / "data" / "README.md").read_text()
    total = sum(len(load_pairs(s)) for s in SPLITS)
    assert f"leaving {total:,} pairs" in text


def test_shipped_pairs_are_normalised_distinct_and_short():
    for split in SPLITS:
        pairs = load_pairs(split)
        assert all(p == (normalise(p[0]), normalise(p[1])) for p in pairs), split
        assert len(set(pairs)) == len(pairs), split
        assert max(len(t.split()) for p in pairs for t in p) <= MAX_WORDS
    assert load_pairs("train")[0] == ("Go.", "Va !")  # the source's order: shortest first
    assert "J'ai gagné." in {fr for _, fr in load_pairs("train")}


def test_shipped_files_are_plain_gzip_tsv():
    path = ROOT / "data" / split_file("valid")
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    assert lines[-1] == "" and all(line.count("\t") == 1 for line in lines[:-1])


def test_about_file_is_shipped_unchanged():
    text = (ROOT / "data" / "eng-fra.manythings_about.txt").read_text()
    assert "Attribution: www.manythings.org/anki and tatoeba.org" in text and "2019-04-07" in text


def test_every_shipped_file_is_package_data():
    """A plain ``pip install .`` carries what data/ holds only if pyproject's package-data globs match it."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    globs = globs["s2s_lab.shipped"]
    names = [p.name for p in (ROOT / "data").iterdir() if p.is_file() and p.name != "__init__.py"]
    assert [n for n in names if not any(fnmatch.fnmatch(n, g) for g in globs)] == []


def test_load_references_groups_every_translation():
    refs = load_references("test")
    pairs = load_pairs("test")
    assert len(refs) == 1000 and sum(len(fr) for _, fr in refs) == len(pairs)
    assert any(len(fr) > 1 for _, fr in refs)
    assert group_references([("a", "x"), ("b", "y"), ("a", "z")]) == [("a", ["x", "z"]), ("b", ["y"])]


def test_unknown_split_is_named():
    with pytest.raises(ValueError, match="expected a split among \\('train', 'valid', 'test'\\), got 'dev'"):
        load_pairs("dev")


# ---------------------------------------------------------------------------------------------- dataset and batches
@pytest.fixture(scope="module")
def tokenizers():
    return SubwordTokenizer.shipped("en"), SubwordTokenizer.shipped("fr")


@pytest.fixture(scope="module")
def valid_set(tokenizers):
    return TranslationDataset(load_pairs("valid"), *tokenizers)


def test_dataset_holds_the_subword_ids(valid_set, tokenizers):
    en, fr = tokenizers
    pairs = load_pairs("valid")
    assert len(valid_set) == len(pairs)
    for i in (0, 1, len(pairs) // 2, len(pairs) - 1, -1):
        src, tgt = valid_set[i]
        assert src == en.encode(pairs[i][0]) and tgt == fr.encode(pairs[i][1])
        assert (len(src), len(tgt)) == (valid_set.src_lengths[i], valid_set.tgt_lengths[i])
    with pytest.raises(IndexError, match="pair index 1424 out of range for a dataset of 1424 pairs"):
        valid_set[len(pairs)]


def test_dataset_max_len_leaves_out_long_pairs(tokenizers):
    pairs = load_pairs("valid")
    short = TranslationDataset(pairs, *tokenizers, max_len=8)
    assert 0 < len(short) < len(pairs)
    assert max(short.src_lengths.max(), short.tgt_lengths.max()) <= 8
    assert all(max(len(s), len(t)) <= 8 for s, t in (short[i] for i in range(len(short))))
    with pytest.raises(ValueError, match="expected max_len as a whole number >= 1"):
        TranslationDataset(pairs, *tokenizers, max_len=0)
    with pytest.raises(ValueError, match="no pair has at most max_len=1 subwords"):
        TranslationDataset(pairs, *tokenizers, max_len=1)


def test_length_sampler_visits_every_index_once_per_epoch_reproducibly():
    lengths = torch.randint(1, 30, (1000,), generator=torch.Generator().manual_seed(0))
    sampler = LengthBatchSampler(lengths, batch_size=16, seed=3, pool=5)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler)
    for epoch in (first, second):
        assert sorted(i for b in epoch for i in b) == list(range(1000))
        assert all(1 <= len(b) <= 16 for b in epoch)
    assert first != second  # a new order every epoch
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert list(LengthBatchSampler(lengths, 16, seed=3, pool=5)) == first
    in_order = list(LengthBatchSampler(lengths, 16, shuffle=False))
    assert len(in_order) == len(LengthBatchSampler(lengths, 16, shuffle=False)) == 63
    assert [i for b in in_order for i in b] == torch.sort(lengths, stable=True).indices.tolist()


def test_length_sampler_says_what_it_expected():
    with pytest.raises(ValueError, match="expected batch_size as a whole number >= 1, got 0"):
        LengthBatchSampler([1, 2], 0)
    with pytest.raises(ValueError, match="expected one length per item"):
        LengthBatchSampler([], 4)


def test_length_batches_have_less_padding_than_random_ones(valid_set):
    by_length = make_translation_loader(valid_set, batch_size=32, seed=0)
    random = make_translation_loader(valid_set, batch_size=32, seed=0, by_length=False)
    assert padding_fraction(by_length) < padding_fraction(random) / 2
    assert sum(b.src.shape[0] for b in by_length) == len(valid_set)


def test_loader_yields_teacher_forcing_batches(valid_set, tokenizers):
    batch = next(iter(make_translation_loader(valid_set, batch_size=8, shuffle=False)))
    assert isinstance(batch, Batch) and batch.src.shape[0] == 8
    assert (batch.tgt_in[:, 0] == BOS).all()
    for b in range(8):
        n = int(batch.tgt_mask[b].sum())
        assert batch.tgt_out[b, n - 1] == EOS and (batch.tgt_out[b, n:] == PAD).all()
        assert batch.tgt_in[b, 1:n].tolist() == batch.tgt_out[b, : n - 1].tolist()
    en, fr = tokenizers
    assert tokenizers[1].decode(batch.tgt_out[0]) in {fr for _, fr in load_pairs("valid")}
    assert en.decode(batch.src[0]) in {en_ for en_, _ in load_pairs("valid")}


def test_padding_fraction_counts_pad_positions():
    from s2s_lab.data import collate

    batch = collate([([4, 5, 6], [7]), ([4], [7, 8])])  # src 3+1 of 6 real; tgt_in 2+3 of 6 real
    assert padding_fraction([batch]) == pytest.approx(3 / 12)
    with pytest.raises(ValueError, match="expected at least one batch"):
        padding_fraction([])


# ---------------------------------------------------------------------------------------------- structure
def test_new_modules_are_math_modules():
    """Like the other data modules: no trainer, no demos, no matplotlib/ipywidgets."""
    from test_structure import ON_TOP, imported_modules

    for name in OURS:
        assert not imported_modules(ROOT / "s2s_lab" / f"{name}.py") & ON_TOP, name
    code = (
        "import sys; " + "; ".join(f"import s2s_lab.{m}" for m in OURS) + "; "
        "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
