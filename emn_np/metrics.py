"""Objective melody metrics of the paper (Table 1, Table 2, Fig. 2).

Every metric here reads *token sequences* (SPEC §1, K = 35)::

    0      no event: the holding state (the sounding note, or the silence, goes on)
    1      note-off: a rest begins
    2..34  a note starts: MIDI pitch = token + 53 (55..87)

on the 16th-note grid: a bar is 16 steps and a beat 4 steps.

The metrics
-----------
- **Autocorrelation at lag k** (Magenta RL-Tuner's formula, SPEC §4). For one
  melody ``x`` of length n, on the raw class indices (holds and note-offs
  included), with mean ``x̄`` and (population) variance ``var(x)``::

      r_k = Σ_{t < n-k} (x_t - x̄)(x_{t+k} - x̄) / (n · var(x))

  One value per melody, then the mean over melodies ignoring NaN. A constant
  melody (var = 0) and a melody with no pair of steps k apart (n <= k) give NaN
  and are skipped; if every melody is NaN the mean is NaN (no warning).

- **PC/bar and PC/beat** (pitch count per bar / per beat): the number of
  *distinct pitches* in each window of 16 (bar) or 4 (beat) steps, averaged.
  The paper does not say how, so the four open choices are parameters, each
  with a documented meaning (see ``melody_metrics``):

  ========  ==========================================================================
  window    ``"aligned"``: non-overlapping windows starting on the bar/beat lines 0, w, 2w, ...
            (a final partial window is kept, so every step lies in exactly one window);
            ``"sliding"``: every window of w steps that fits, starting at each step
            (a melody shorter than w is one window).
  held      ``True``: a note still sounding when the window starts (struck before it,
            carried by hold tokens) counts in the window; ``False``: only notes struck
            (pitch tokens) inside the window count.
  empty     ``"zero"``: a window with no pitch counts as 0 in the average;
            ``"skip"``: such windows are left out of the average.
  length    ``None``: whole melodies; an int L: each melody is cut to its first L steps
            (shorter ones are used whole). The cut applies to every metric, the
            autocorrelation included (the paper's generated melodies are 70 steps).
  average   ``"windows"``: the mean over all windows of all melodies (pooled);
            ``"melodies"``: the mean over melodies of each melody's mean over windows.
  ========  ==========================================================================

  ``DEFAULT_READING`` holds the reading that best reproduces the paper's dataset
  row on the Nottingham test split; ``calibration_table`` shows every reading.

- **Token distribution** (Fig. 2): the shares of notes, holds and rests; see
  ``token_distribution`` for how a rest is counted.

Metrics run on the host with NumPy (token arrays are small); CuPy arrays are
brought back with ``backend.to_numpy`` first.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from . import backend

K = 35            # vocabulary size
HOLD = 0          # the holding state token
NOTE_OFF = 1      # the note-off (rest) token
FIRST_PITCH = 2   # first pitch token (MIDI 55)
N_PITCHES = K - FIRST_PITCH   # 33 pitch tokens, MIDI 55..87
PITCH_OFFSET = 53             # MIDI pitch = token + 53
STEPS_PER_BAR = 16
STEPS_PER_BEAT = 4

WINDOWS = ("aligned", "sliding")
EMPTIES = ("zero", "skip")
AVERAGES = ("windows", "melodies")

#: The reading of PC/bar and PC/beat used by default: the one that best reproduces the
#: paper's dataset row (Table 1) on the Nottingham test split (``data.split_corpus``
#: defaults). See ``calibration_table`` and the module docstring for the meaning of each key.
DEFAULT_READING = {
    "window": "aligned",
    "held": True,
    "empty": "zero",
    "length": None,
    "average": "windows",
}

_METRIC_KEYS = ("pc_per_bar", "pc_per_beat", "autocorr_lag1", "autocorr_lag2", "autocorr_lag3")

#: The paper's Table 1, as printed: the test dataset and four models, on melodies of
#: 70 steps generated from 35 one-token primers x 15 samples (SPEC §3).
PAPER_TABLE1 = {
    "Dataset": dict(zip(_METRIC_KEYS, (3.34, 2.34, -0.48, 0.44, -0.49))),
    "NoteRNN": dict(zip(_METRIC_KEYS, (4.41, 2.92, -0.21, 0.24, -0.22))),
    "RL-Tuner": dict(zip(_METRIC_KEYS, (6.98, 3.71, 0.01, -0.01, -0.01))),
    "RE-RLTuner": dict(zip(_METRIC_KEYS, (7.20, 3.87, -0.02, -0.02, -0.02))),
    "EMN": dict(zip(_METRIC_KEYS, (4.12, 2.77, -0.31, 0.53, -0.32))),
}

#: The paper's Table 2, as printed: for each loss weight λ, "test dataset minus model"
#: of PC/bar, PC/beat and Auto-lag1. Beware: the printed numbers do not follow from
#: Table 1 (at λ = 0.5, Table 1 gives dataset - EMN = 3.34 - 4.12 = -0.78 for PC/bar and
#: -0.48 - (-0.31) = -0.17 for lag 1, Table 2 prints +0.69 and +0.17), so read them as
#: distances whose sign is uncertain; compare like with like.
PAPER_TABLE2 = {
    0.0: {"pc_per_bar": 0.94, "pc_per_beat": 0.59, "autocorr_lag1": 0.37},
    0.1: {"pc_per_bar": 0.72, "pc_per_beat": 0.44, "autocorr_lag1": 0.32},
    0.2: {"pc_per_bar": 0.85, "pc_per_beat": 0.48, "autocorr_lag1": 0.33},
    0.3: {"pc_per_bar": 0.81, "pc_per_beat": 0.49, "autocorr_lag1": 0.30},
    0.4: {"pc_per_bar": 1.25, "pc_per_beat": 0.73, "autocorr_lag1": 0.47},
    0.5: {"pc_per_bar": 0.69, "pc_per_beat": 0.43, "autocorr_lag1": 0.17},
    0.6: {"pc_per_bar": 0.95, "pc_per_beat": 0.60, "autocorr_lag1": 0.37},
    0.7: {"pc_per_bar": 1.12, "pc_per_beat": 0.66, "autocorr_lag1": 0.18},
    0.8: {"pc_per_bar": 1.10, "pc_per_beat": 0.58, "autocorr_lag1": 0.26},
    0.9: {"pc_per_bar": 1.39, "pc_per_beat": 0.69, "autocorr_lag1": 0.26},
}


# --------------------------------------------------------------------------- input checks

def as_melodies(melodies, name="melodies"):
    """Check and convert melodies to a list of 1-D int64 NumPy token arrays.

    Inputs:
    - melodies: a list (or tuple) of 1-D integer token arrays (lengths may differ), or a
      2-D integer array of shape (N, T), one melody per row. NumPy or CuPy arrays, or lists.
    - name: the argument name used in error messages.

    Returns a list of N arrays of shape (T_i,), dtype int64, values in 0..34.

    Raises ValueError (naming ``name``) for: no melodies, a 1-D array given instead of a
    list of melodies, a melody that is empty, not 1-D, not integer, or has a token
    outside 0..34.
    """
    if isinstance(melodies, (str, bytes, dict)) or melodies is None:
        raise ValueError(f"{name} must be a list of 1-D token arrays or a 2-D array, "
                         f"got {type(melodies).__name__}")
    if not isinstance(melodies, (list, tuple)):
        arr = backend.to_numpy(melodies) if hasattr(melodies, "shape") else None
        if arr is None:
            raise ValueError(f"{name} must be a list of 1-D token arrays or a 2-D array, "
                             f"got {type(melodies).__name__}")
        if arr.ndim == 1:
            raise ValueError(f"{name} must be a list of melodies or a 2-D array; got one 1-D "
                             f"array of shape {arr.shape} (wrap a single melody as [tokens])")
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D (one melody per row), got shape {arr.shape}")
        melodies = list(arr)
    if len(melodies) == 0:
        raise ValueError(f"{name} is empty: give at least one melody")
    out = []
    for i, m in enumerate(melodies):
        out.append(as_tokens(m, f"{name}[{i}]"))
    return out


def as_tokens(tokens, name="tokens"):
    """Check one melody: returns a 1-D int64 NumPy array with values in 0..34.

    Raises ValueError naming ``name`` when it is empty, not 1-D, not integer, or holds a
    token outside 0..34.
    """
    if isinstance(tokens, (str, bytes, dict)) or tokens is None:
        raise ValueError(f"{name} must be a 1-D integer token array, got {type(tokens).__name__}")
    try:
        arr = backend.to_numpy(tokens) if hasattr(tokens, "shape") else np.asarray(tokens)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not an array of tokens ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one melody), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a melody needs at least one step")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer tokens, got dtype {arr.dtype}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= K:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name} has token {bad} outside 0..{K - 1} "
                         f"(0 hold, 1 note-off, 2..34 pitch 55..87)")
    return arr.astype(np.int64, copy=False)


def _check_reading(window, held, empty, length, average):
    """Validate a PC reading; raise ValueError naming the bad argument."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
    if not isinstance(held, (bool, np.bool_)):
        raise ValueError(f"held must be True or False, got {held!r}")
    if empty not in EMPTIES:
        raise ValueError(f"empty must be one of {EMPTIES}, got {empty!r}")
    if length is not None and (isinstance(length, bool) or not isinstance(length, (int, np.integer))
                               or length < 1):
        raise ValueError(f"length must be None or a positive int, got {length!r}")
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")


def _cut(melodies, length):
    """Cut each melody to its first ``length`` steps (None: unchanged)."""
    if length is None:
        return melodies
    return [m[:length] for m in melodies]


def _nanmean(values):
    """Mean of the finite values; NaN (and no RuntimeWarning) when there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


# --------------------------------------------------------------------------- autocorrelation

def autocorrelation(tokens, lag=1):
    """Autocorrelation of one melody at one lag (Magenta RL-Tuner's formula, SPEC §4).

        r_k = Σ_{t < n-k} (x_t - x̄)(x_{t+k} - x̄) / (n · var(x))

    on the raw class indices x (holds and note-offs included); var is the population
    variance (divide by n), so r_0 = 1.

    Inputs:
    - tokens: 1-D integer token array, shape (n,)
    - lag: k >= 1

    Returns a float; NaN when the melody is constant (var = 0) or too short (n <= k).
    """
    x = as_tokens(tokens, "tokens").astype(np.float64)
    if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or lag < 1:
        raise ValueError(f"lag must be a positive int, got {lag!r}")
    n = x.shape[0]
    if n <= lag:
        return math.nan                      # no pair of steps k apart
    xc = x - x.mean()                        # centred signal x_t - x̄
    c0 = float(np.mean(xc * xc))             # population variance var(x)
    if c0 == 0.0:
        return math.nan                      # constant melody: correlation undefined
    return float(np.sum(xc[lag:] * xc[:n - lag]) / (n * c0))


def mean_autocorrelation(melodies, lag=1):
    """Mean over melodies of ``autocorrelation(m, lag)``, ignoring NaN (NaN if all are NaN)."""
    ms = as_melodies(melodies)
    return _nanmean([autocorrelation(m, lag) for m in ms])


# --------------------------------------------------------------------------- pitch counts

def sounding_pitches(tokens):
    """The pitch token sounding at each step, or -1 in silence.

    A pitch token starts a note; hold tokens (0) carry it on; a note-off (1) ends it.
    Steps before the first event are silent.

    Inputs:
    - tokens: 1-D token array, shape (n,)

    Returns an int64 array of shape (n,): the sounding pitch token (2..34) or -1.
    """
    x = as_tokens(tokens, "tokens")
    idx = np.arange(x.shape[0])
    # index of the last event (pitch or note-off) at or before each step, -1 if none
    last = np.maximum.accumulate(np.where(x != HOLD, idx, -1))
    state = np.where(last >= 0, x[np.maximum(last, 0)], NOTE_OFF)
    return np.where(state >= FIRST_PITCH, state, -1)


def window_pitch_counts(tokens, size, *, window="aligned", held=True, empty="zero"):
    """Distinct pitches in each window of ``size`` steps of one melody.

    Inputs:
    - tokens: 1-D token array, shape (n,)
    - size: window length in steps (16 for a bar, 4 for a beat)
    - window, held, empty: the reading (see the module docstring)

    Returns an int64 array of shape (W,), one count per window kept (W may be 0 when
    ``empty="skip"`` and no window holds a pitch).
    """
    x = as_tokens(tokens, "tokens")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    _check_reading(window, held, empty, None, "windows")
    n = x.shape[0]
    # presence[t, p]: pitch token p + 2 counts at step t
    pitch = sounding_pitches(x) if held else np.where(x >= FIRST_PITCH, x, -1)
    presence = np.zeros((n, N_PITCHES), dtype=np.int64)
    on = pitch >= 0
    presence[np.nonzero(on)[0], pitch[on] - FIRST_PITCH] = 1
    # prefix sums over time, so each window's pitch presence is one subtraction
    cum = np.concatenate([np.zeros((1, N_PITCHES), np.int64), np.cumsum(presence, axis=0)])
    if window == "aligned":
        starts = np.arange(0, n, size)
        stops = np.minimum(starts + size, n)      # the last window may be partial
    elif n >= size:
        starts = np.arange(0, n - size + 1)       # sliding: every full window
        stops = starts + size
    else:
        starts, stops = np.array([0]), np.array([n])
    counts = ((cum[stops] - cum[starts]) > 0).sum(axis=1)
    if empty == "skip":
        counts = counts[counts > 0]
    return counts.astype(np.int64)


def pitch_count(melodies, size, *, window="aligned", held=True, empty="zero", length=None,
                average="windows"):
    """Mean number of distinct pitches per window of ``size`` steps over many melodies.

    ``pitch_count(ms, 16)`` is PC/bar and ``pitch_count(ms, 4)`` PC/beat under the given
    reading (see the module docstring). Returns a float, NaN when no window is kept.
    """
    _check_reading(window, held, empty, length, average)
    ms = _cut(as_melodies(melodies), length)
    per = [window_pitch_counts(m, size, window=window, held=held, empty=empty) for m in ms]
    if average == "windows":
        return _nanmean(np.concatenate(per)) if per else math.nan
    return _nanmean([_nanmean(c) for c in per])


# --------------------------------------------------------------------------- the table row

def melody_metrics(melodies, *, window="aligned", held=True, empty="zero", length=None,
                   average="windows"):
    """The paper's objective metrics (Table 1) of a set of melodies.

    Inputs:
    - melodies: list of N 1-D integer token arrays (lengths may differ), or a 2-D array
      of shape (N, T)
    - window, held, empty, length, average: the reading of PC/bar and PC/beat, see the
      module docstring; the defaults are ``DEFAULT_READING``. ``length`` cuts melodies for
      every metric.

    Returns a dict:
    - pc_per_bar, pc_per_beat: mean distinct pitches per bar (16 steps) / beat (4 steps)
    - autocorr_lag1, autocorr_lag2, autocorr_lag3: mean autocorrelation over melodies
      (NaN melodies skipped, see ``autocorrelation``)
    - n_melodies: N;  n_steps: total steps used (after the cut)
    - n_autocorr_nan: melodies whose lag-1 autocorrelation is NaN (constant or too short)
    """
    _check_reading(window, held, empty, length, average)
    ms = _cut(as_melodies(melodies), length)
    reading = dict(window=window, held=held, empty=empty, average=average)
    out = {
        "pc_per_bar": pitch_count(ms, STEPS_PER_BAR, **reading),
        "pc_per_beat": pitch_count(ms, STEPS_PER_BEAT, **reading),
    }
    for k in (1, 2, 3):
        out[f"autocorr_lag{k}"] = _nanmean([autocorrelation(m, k) for m in ms])
    out["n_melodies"] = len(ms)
    out["n_steps"] = int(sum(m.shape[0] for m in ms))
    out["n_autocorr_nan"] = int(sum(math.isnan(autocorrelation(m, 1)) for m in ms))
    return out


# --------------------------------------------------------------------------- calibration

def calibration_table(melodies, lengths=(None, 70), averages=AVERAGES):
    """PC/bar and PC/beat under every reading, beside the paper's dataset row.

    Inputs:
    - melodies: the test split (list of 1-D token arrays)
    - lengths: the values of ``length`` to try (None = whole melodies; 70 = the length
      of the paper's generated melodies)
    - averages: the values of ``average`` to try

    Returns a list of dicts, one per reading (window x held x empty x length x average),
    each with the reading's keys, ``pc_per_bar``, ``pc_per_beat``, the differences
    ``d_bar`` and ``d_beat`` (ours minus the paper's 3.34 / 2.34), ``error`` =
    |d_bar| + |d_beat|, and the three autocorrelations under that ``length``. Sorted by
    ``error``, best first.
    """
    ms = as_melodies(melodies)
    paper = PAPER_TABLE1["Dataset"]
    auto = {}
    for length in lengths:
        cut = _cut(ms, length)
        auto[length] = {f"autocorr_lag{k}": _nanmean([autocorrelation(m, k) for m in cut])
                        for k in (1, 2, 3)}
    rows = []
    for window, held, empty, length, average in itertools.product(
            WINDOWS, (True, False), EMPTIES, lengths, averages):
        reading = dict(window=window, held=held, empty=empty, length=length, average=average)
        bar = pitch_count(ms, STEPS_PER_BAR, **reading)
        beat = pitch_count(ms, STEPS_PER_BEAT, **reading)
        d_bar, d_beat = bar - paper["pc_per_bar"], beat - paper["pc_per_beat"]
        rows.append({**reading, "pc_per_bar": bar, "pc_per_beat": beat,
                     "d_bar": d_bar, "d_beat": d_beat, "error": abs(d_bar) + abs(d_beat),
                     **auto[length]})
    rows.sort(key=lambda r: (math.inf if math.isnan(r["error"]) else r["error"]))
    return rows


def best_reading(rows):
    """The reading (dict with window, held, empty, length, average) of the best row."""
    best = min(rows, key=lambda r: (math.inf if math.isnan(r["error"]) else r["error"]))
    return {k: best[k] for k in DEFAULT_READING}


def _fmt(v, signed=False):
    """A float as text with two decimals ('nan' kept)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    return f"{v:+.2f}" if signed else f"{v:.2f}"


def format_calibration_table(rows):
    """A Markdown table of ``calibration_table`` rows, the paper's dataset row first."""
    paper = PAPER_TABLE1["Dataset"]
    head = ("| window | held | empty | length | average | PC/bar | PC/beat | Δbar | Δbeat "
            "| lag1 | lag2 | lag3 |")
    lines = [head, "|" + "---|" * 12,
             f"| **paper, test dataset** | | | | | **{_fmt(paper['pc_per_bar'])}** "
             f"| **{_fmt(paper['pc_per_beat'])}** | | | {_fmt(paper['autocorr_lag1'])} "
             f"| {_fmt(paper['autocorr_lag2'])} | {_fmt(paper['autocorr_lag3'])} |"]
    for r in rows:
        length = "all" if r["length"] is None else str(r["length"])
        lines.append(
            f"| {r['window']} | {r['held']} | {r['empty']} | {length} | {r['average']} "
            f"| {_fmt(r['pc_per_bar'])} | {_fmt(r['pc_per_beat'])} "
            f"| {_fmt(r['d_bar'], True)} | {_fmt(r['d_beat'], True)} "
            f"| {_fmt(r['autocorr_lag1'])} | {_fmt(r['autocorr_lag2'])} "
            f"| {_fmt(r['autocorr_lag3'])} |")
    return "\n".join(lines)


def format_metrics_table(results, paper=True):
    """A Markdown table of ``melody_metrics`` results (dict name -> result dict).

    With ``paper=True`` the paper's Table 1 rows are printed first, for comparison.
    """
    head = "| source | PC/bar | PC/beat | lag1 | lag2 | lag3 |"
    lines = [head, "|" + "---|" * 6]
    src = {}
    if paper:
        src.update({f"paper: {k}": v for k, v in PAPER_TABLE1.items()})
    src.update(results)
    for name, r in src.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(r.get(k, math.nan)) for k in _METRIC_KEYS)
                     + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Fig. 2

def token_counts(melodies):
    """How often each of the K = 35 tokens occurs in the melodies: int64 array of shape (35,)."""
    ms = as_melodies(melodies)
    return np.bincount(np.concatenate(ms), minlength=K).astype(np.int64)


def token_distribution(melodies):
    """Shares of notes, holds and rests over all steps of the melodies (paper Fig. 2).

    Two readings are returned:

    - **musical** (keys ``note``, ``hold``, ``rest``), what a listener hears at each step:
      ``note`` = a pitch token (a note starts), ``hold`` = a hold token while a note
      sounds (the note goes on), ``rest`` = a note-off token, or a hold token while
      silent (after a note-off, or before the first note).
    - **raw tokens** (keys ``raw_note``, ``raw_hold``, ``raw_rest``): the shares of pitch
      tokens (2..34), hold tokens (0) and note-off tokens (1). Fig. 2's "holding state"
      is token 0 in this reading.

    Inputs:
    - melodies: list of 1-D token arrays or a 2-D array (N, T)

    Returns a dict of floats (each reading sums to 1) plus ``n_steps`` (int).
    """
    ms = as_melodies(melodies)
    x = np.concatenate(ms)
    sounding = np.concatenate([sounding_pitches(m) for m in ms]) >= 0
    n = x.shape[0]
    is_note = x >= FIRST_PITCH
    is_hold = x == HOLD
    return {
        "note": float(is_note.sum() / n),
        "hold": float((is_hold & sounding).sum() / n),
        "rest": float(((x == NOTE_OFF) | (is_hold & ~sounding)).sum() / n),
        "raw_note": float(is_note.sum() / n),
        "raw_hold": float(is_hold.sum() / n),
        "raw_rest": float((x == NOTE_OFF).sum() / n),
        "n_steps": int(n),
    }
