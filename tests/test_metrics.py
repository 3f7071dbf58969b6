"""Tests of emn_np.metrics: autocorrelation, pitch counts, calibration, token distribution."""
from __future__ import annotations

import inspect
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emn_np import metrics as M

NOTTINGHAM = Path(__file__).resolve().parents[2] / "shared/data/nottingham/melody"

tokens_st = st.lists(st.integers(0, 34), min_size=1, max_size=80).map(
    lambda v: np.array(v, dtype=np.int64))
melodies_st = st.lists(tokens_st, min_size=1, max_size=5)
reading_st = st.fixed_dictionaries({
    "window": st.sampled_from(M.WINDOWS),
    "held": st.booleans(),
    "empty": st.sampled_from(M.EMPTIES),
    "length": st.sampled_from([None, 1, 16, 70]),
    "average": st.sampled_from(M.AVERAGES),
})


def magenta_autocorrelate(signal, lag):
    """Magenta RL-Tuner's rl_tuner_ops.autocorrelate, restated as the reference."""
    n = len(signal)
    x = np.asarray(signal, dtype=float) - np.mean(signal)
    return (x[lag:] * x[:n - lag]).sum() / float(n) / np.var(signal)


# --------------------------------------------------------------------------- autocorrelation

def test_autocorrelation_by_hand():
    # x = [2, 0, 2, 0]: mean 1, centred [1, -1, 1, -1], variance 1, n = 4
    x = np.array([2, 0, 2, 0])
    assert M.autocorrelation(x, 1) == pytest.approx(-3 / 4)   # three products of -1
    assert M.autocorrelation(x, 2) == pytest.approx(2 / 4)    # two products of +1
    assert M.autocorrelation(x, 3) == pytest.approx(-1 / 4)   # one product of -1


@settings(max_examples=60, deadline=None)
@given(tokens_st, st.integers(1, 3))
def test_autocorrelation_matches_magenta_formula(x, lag):
    ours = M.autocorrelation(x, lag)
    if np.all(x == x[0]) or len(x) <= lag:
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(magenta_autocorrelate(x, lag), rel=1e-12, abs=1e-12)
        assert -1.0 - 1e-12 <= ours <= 1.0 + 1e-12


def test_autocorrelation_nan_cases_and_mean_skips_them():
    assert math.isnan(M.autocorrelation(np.zeros(10, int), 1))   # constant: var = 0
    assert math.isnan(M.autocorrelation(np.array([2, 5]), 2))     # no pair 2 apart
    x = np.array([2, 0, 2, 0])
    assert M.mean_autocorrelation([np.full(8, 7), x], 1) == pytest.approx(-0.75)


def test_all_nan_autocorrelation_gives_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # any RuntimeWarning fails the test
        r = M.melody_metrics([np.zeros(16, int), np.full(5, 9)])
    for k in (1, 2, 3):
        assert math.isnan(r[f"autocorr_lag{k}"])
    assert r["n_autocorr_nan"] == 2


def test_autocorrelation_rejects_bad_lag():
    with pytest.raises(ValueError, match="lag"):
        M.autocorrelation(np.array([2, 3, 4]), 0)


# --------------------------------------------------------------------------- pitch counts

# two bars; bar 1: C4 (token 9) held 4 steps, D4 E4 then a rest; bar 2 starts holding the
# rest, then G4 held over the beat line, then G4 re-struck
HAND = np.array([9, 0, 0, 0, 11, 0, 13, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0])


def test_sounding_pitches_by_hand():
    s = M.sounding_pitches(np.array([0, 9, 0, 1, 0, 11, 0]))
    np.testing.assert_array_equal(s, [-1, 9, 9, -1, -1, 11, 11])


def test_window_counts_by_hand():
    bar = dict(window="aligned", empty="zero")
    np.testing.assert_array_equal(M.window_pitch_counts(HAND, 16, held=True, **bar), [3, 1])
    # beats: [C] [D E] [rest] [rest] | [rest] [G] [G held + G struck] [G held]
    np.testing.assert_array_equal(M.window_pitch_counts(HAND, 4, held=True, **bar),
                                  [1, 2, 0, 0, 0, 1, 1, 1])
    # without the holding state the last beat (G only held) is empty
    np.testing.assert_array_equal(M.window_pitch_counts(HAND, 4, held=False, **bar),
                                  [1, 2, 0, 0, 0, 1, 1, 0])
    np.testing.assert_array_equal(
        M.window_pitch_counts(HAND, 4, held=False, window="aligned", empty="skip"), [1, 2, 1, 1])


def test_sliding_windows_by_hand():
    x = np.array([9, 0, 11, 0, 13, 0])
    # windows of 4 starting at 0, 1, 2: {C D}, {C D E} (C held into it), {D E}
    np.testing.assert_array_equal(M.window_pitch_counts(x, 4, window="sliding", held=True),
                                  [2, 3, 2])
    np.testing.assert_array_equal(M.window_pitch_counts(x, 4, window="sliding", held=False),
                                  [2, 2, 2])
    # a melody shorter than the window is one window
    np.testing.assert_array_equal(M.window_pitch_counts(x, 16, window="sliding"), [3])


def test_aligned_keeps_a_final_partial_window():
    x = np.array([9] + [0] * 15 + [11, 13])         # 18 steps: a full bar and 2 steps
    np.testing.assert_array_equal(M.window_pitch_counts(x, 16, held=False), [1, 2])


def test_pc_per_bar_and_beat_by_hand():
    r = M.melody_metrics([HAND], window="aligned", held=True, empty="zero", length=None,
                         average="windows")
    assert r["pc_per_bar"] == pytest.approx((3 + 1) / 2)
    assert r["pc_per_beat"] == pytest.approx(6 / 8)
    r = M.melody_metrics([HAND], window="aligned", held=True, empty="skip", length=None,
                         average="windows")
    assert r["pc_per_beat"] == pytest.approx(6 / 5)


def test_average_over_windows_or_melodies():
    a = np.array([9, 11, 13, 15] + [0] * 12)        # one bar with 4 pitches
    b = np.array([9] + [0] * 47)                     # three bars, C held throughout
    kw = dict(window="aligned", held=True, empty="zero", length=None)
    assert M.pitch_count([a, b], 16, average="windows", **kw) == pytest.approx((4 + 3) / 4)
    assert M.pitch_count([a, b], 16, average="melodies", **kw) == pytest.approx((4 + 1) / 2)


@settings(max_examples=60, deadline=None)
@given(tokens_st, st.sampled_from([4, 16]), st.sampled_from(M.WINDOWS))
def test_window_count_properties(x, size, window):
    held = M.window_pitch_counts(x, size, window=window, held=True)
    struck = M.window_pitch_counts(x, size, window=window, held=False)
    n = len(x)
    expected = math.ceil(n / size) if window == "aligned" else max(1, n - size + 1)
    assert len(held) == len(struck) == expected
    assert np.all(held >= struck)                   # the holding state only adds pitches
    assert np.all(held <= min(size, M.N_PITCHES))
    assert np.all(struck == [len(set(x[s:s + size][x[s:s + size] >= 2]))
                             for s in (range(0, n, size) if window == "aligned"
                                       else range(max(1, n - size + 1)))])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 34), min_size=16, max_size=16), min_size=1,
                max_size=6).map(lambda v: np.array(v).reshape(-1)), st.booleans())
def test_beat_count_never_exceeds_bar_count_on_whole_bars(x, held):
    kw = dict(window="aligned", held=held, empty="zero")
    assert M.pitch_count([x], 4, **kw) <= M.pitch_count([x], 16, **kw) + 1e-12


@settings(max_examples=40, deadline=None)
@given(melodies_st, reading_st)
def test_skipping_empty_windows_never_lowers_the_mean(ms, reading):
    zero = M.pitch_count(ms, 16, **{**reading, "empty": "zero"})
    skip = M.pitch_count(ms, 16, **{**reading, "empty": "skip"})
    if not math.isnan(skip):
        assert skip >= zero - 1e-12
    else:
        assert zero == 0.0


# --------------------------------------------------------------------------- melody_metrics

def test_metrics_keys_and_2d_input_equals_list():
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 35, size=(4, 70))
    a = M.melody_metrics(batch)
    b = M.melody_metrics(list(batch))
    for key in ("pc_per_bar", "pc_per_beat", "autocorr_lag1", "autocorr_lag2", "autocorr_lag3"):
        assert isinstance(a[key], float)
        assert a[key] == b[key]
    assert a["n_melodies"] == 4 and a["n_steps"] == 280


def test_signature_defaults_are_the_default_reading():
    for fn in (M.melody_metrics, M.pitch_count):
        params = inspect.signature(fn).parameters
        assert {k: params[k].default for k in M.DEFAULT_READING} == M.DEFAULT_READING


@settings(max_examples=25, deadline=None)
@given(melodies_st, st.integers(1, 40))
def test_length_cuts_every_metric(ms, length):
    cut = M.melody_metrics(ms, length=length)
    ref = M.melody_metrics([m[:length] for m in ms], length=None)
    for key in ("pc_per_bar", "pc_per_beat", "autocorr_lag1", "autocorr_lag2", "autocorr_lag3"):
        assert (math.isnan(cut[key]) and math.isnan(ref[key])) or cut[key] == ref[key]


@pytest.mark.parametrize("bad, match", [
    ([], "melodies is empty"),
    (np.array([2, 3, 4]), "wrap a single melody"),
    ([np.array([2, 3, 35])], r"melodies\[0\] has token 35"),
    ([np.array([2, 3]), np.array([-1, 3])], r"melodies\[1\] has token -1"),
    ([np.array([2.0, 3.0])], r"melodies\[0\] must hold integer tokens"),
    ([np.array([], dtype=int)], r"melodies\[0\] is empty"),
    ([np.zeros((2, 2), int)], r"melodies\[0\] must be 1-D"),
    (np.zeros((2, 2, 2), int), "melodies must be 2-D"),
    ("abc", "melodies must be a list"),
    (None, "melodies must be a list"),
])
def test_bad_melodies_raise_value_error_naming_melodies(bad, match):
    with pytest.raises(ValueError, match=match):
        M.melody_metrics(bad)


@pytest.mark.parametrize("kw, name", [
    ({"window": "bars"}, "window"), ({"held": "yes"}, "held"), ({"empty": 0}, "empty"),
    ({"length": 0}, "length"), ({"length": 7.5}, "length"), ({"average": "mean"}, "average"),
])
def test_bad_reading_raises_value_error_naming_the_argument(kw, name):
    with pytest.raises(ValueError, match=name):
        M.melody_metrics([HAND], **kw)


# --------------------------------------------------------------------------- tables

def test_paper_tables_hold_the_printed_numbers():
    assert M.PAPER_TABLE1["Dataset"] == {"pc_per_bar": 3.34, "pc_per_beat": 2.34,
                                         "autocorr_lag1": -0.48, "autocorr_lag2": 0.44,
                                         "autocorr_lag3": -0.49}
    assert M.PAPER_TABLE1["EMN"]["autocorr_lag2"] == 0.53
    assert list(M.PAPER_TABLE1) == ["Dataset", "NoteRNN", "RL-Tuner", "RE-RLTuner", "EMN"]
    assert sorted(M.PAPER_TABLE2) == [round(0.1 * i, 1) for i in range(10)]
    assert M.PAPER_TABLE2[0.5] == {"pc_per_bar": 0.69, "pc_per_beat": 0.43, "autocorr_lag1": 0.17}


def test_calibration_table_covers_every_reading():
    rng = np.random.default_rng(1)
    ms = [rng.integers(0, 35, size=n) for n in (20, 64, 100)]
    rows = M.calibration_table(ms, lengths=(None, 70))
    assert len(rows) == 2 * 2 * 2 * 2 * 2
    assert len({tuple(r[k] for k in M.DEFAULT_READING) for r in rows}) == len(rows)
    errors = [r["error"] for r in rows]
    assert errors == sorted(errors)
    for r in rows[:3]:
        reading = {k: r[k] for k in M.DEFAULT_READING}
        assert r["pc_per_bar"] == M.pitch_count(ms, 16, **reading)
        assert r["d_beat"] == pytest.approx(r["pc_per_beat"] - 2.34)
    assert M.best_reading(rows) == {k: rows[0][k] for k in M.DEFAULT_READING}
    text = M.format_calibration_table(rows)
    lines = text.splitlines()
    assert lines[0].startswith("| window |") and "3.34" in lines[2]
    assert len(lines) == 3 + len(rows)
    table = M.format_metrics_table({"ours": M.melody_metrics(ms)})
    assert "paper: EMN" in table and "| ours |" in table


# --------------------------------------------------------------------------- distribution

def test_token_distribution_by_hand():
    # hold before the first note (silent), note, 2 holds, note-off, 1 silent hold, note, hold
    x = np.array([0, 9, 0, 0, 1, 0, 11, 0])
    d = M.token_distribution([x])
    assert d["n_steps"] == 8
    assert (d["note"], d["hold"], d["rest"]) == (2 / 8, 3 / 8, 3 / 8)
    assert (d["raw_note"], d["raw_hold"], d["raw_rest"]) == (2 / 8, 5 / 8, 1 / 8)
    np.testing.assert_array_equal(M.token_counts([x])[:3], [5, 1, 0])


@settings(max_examples=40, deadline=None)
@given(melodies_st)
def test_token_distribution_shares_sum_to_one(ms):
    d = M.token_distribution(ms)
    assert d["note"] + d["hold"] + d["rest"] == pytest.approx(1.0)
    assert d["raw_note"] + d["raw_hold"] + d["raw_rest"] == pytest.approx(1.0)
    assert d["raw_hold"] == pytest.approx(d["hold"] + d["rest"] - d["raw_rest"])
    assert M.token_counts(ms).sum() == d["n_steps"]


# --------------------------------------------------------------------------- the real data

def test_default_reading_reproduces_the_paper_on_the_nottingham_test_split():
    if not NOTTINGHAM.is_dir():
        pytest.skip(f"Nottingham copy absent at {NOTTINGHAM}")
    data = pytest.importorskip("emn_np.data")
    corpus = data.load_corpus(NOTTINGHAM)
    _, test = data.split_corpus(corpus)
    melodies = [np.asarray(m) for m in (test.values() if isinstance(test, dict) else test)]
    r = M.melody_metrics(melodies)
    paper = M.PAPER_TABLE1["Dataset"]
    assert r["pc_per_bar"] == pytest.approx(paper["pc_per_bar"], abs=0.25)
    assert r["pc_per_beat"] == pytest.approx(paper["pc_per_beat"], abs=0.25)
    for k in (1, 2, 3):
        assert abs(r[f"autocorr_lag{k}"] - paper[f"autocorr_lag{k}"]) < 0.25
