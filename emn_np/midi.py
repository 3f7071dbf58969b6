"""MIDI files <-> token sequences: the only place where music meets numbers.

A melody becomes a 1-D ``int64`` array of tokens, one per sixteenth-note step
(SPEC section 1, K = 35 classes, Magenta's melody one-hot layout)::

    0        no event: the previous state goes on (a note is held, or a rest goes on)
    1        note-off: the sounding note stops and a rest begins
    2..34    note-on of MIDI pitch 55..87 (class = pitch - 53)

For example a crotchet G4 (pitch 67), a quaver rest and a quaver A4 (69) is::

    step    0   1  2  3   4  5   6  7
    token  14   0  0  0   1  0  16  0

The grid rules (``notes_to_tokens``; every source of notes goes through it)
-------------------------------------------------------------------------------
1. **Grid.** 4 steps per quarter note. A bar is 16 steps and a beat 4 steps,
   whatever the time signature of the file (the paper "quantified the
   compositions into 4/4"; a 6/8 bar of 12 steps simply straddles our bars).
2. **Rounding.** A note's start and end round to the nearest step (exact halves
   round up). A note whose rounded length is zero lasts one step.
3. **First bar.** The piece starts at the bar (multiple of 16 steps) that holds
   its first onset; silence before that bar is dropped.
4. **Range.** Pitches outside 55..87 move by whole octaves into range
   (54 -> 66, 88 -> 76).
5. **Highest wins.** At each step the melody is the highest sounding note (among
   equal pitches, the later onset). Its token is emitted at the step where it
   becomes the melody (its onset, or the step where a higher note that covered
   it ends); a note that never becomes the melody is hidden.
6. **Rests.** A note-off token is emitted at a step where a note has ended and
   no note sounds (a rest begins); steps inside a held note or a rest are 0.
7. **End.** The piece ends when its last note ends, so there is never a trailing
   note-off (it is "dropped").
8. **Length cap.** A piece longer than ``MAX_STEPS`` steps (65,536 steps: 4,096
   bars, 34 minutes at 120 bpm; the longest Nottingham tune has 6,154) raises
   ``MidiError`` before any array of that size is made, so memory stays bounded
   whatever a file claims. Nothing is silently cut off.

Valid token sequences
---------------------
A token sequence ``x`` is *valid* (``is_valid_tokens``) when

  (a) it is 1-D, ``1 <= len(x) <= MAX_STEPS``, every value in 0..34;
  (b) its first non-zero token is a pitch token (2..34) at an index below 16
      (only holds, i.e. silence shorter than a bar, may come before it);
  (c) every note-off follows a sounding note: the nearest non-zero token before
      each 1 is a pitch token (no note-off in silence, no two in a row);
  (d) its last non-zero token is a pitch token (no trailing rest).

Valid sequences are exactly the ones the encoder produces, and for every valid
``x``: ``encode_midi(decode_tokens(x, path)) == x`` (tested with hypothesis).
``decode_tokens`` accepts *any* sequence of ints in 0..34 (generated melodies can
be odd): a note-off during silence does nothing, leading holds are silence, a
trailing rest is written as silence before the end of the track.

Reading messy MIDI files (``read_midi``)
----------------------------------------
* **Formats.** Types 0 and 1: all tracks play at once on one timeline (a type-0
  file with several tracks is read like type 1). Type 2: the tracks are
  independent patterns, played one after another in file order. Any other
  format number raises ``MidiError``.
* **Timing.** Ticks become quarter notes by dividing by ticks-per-beat, so any
  ticks-per-beat from 1 to 32767 works. SMPTE timing (a negative division) or a
  division of 0 raises ``MidiError``. Tempo changes do not change the grid,
  which counts beats, not seconds (they only matter for playback).
* **Time signatures** are read (``read_time_signatures``, corpus statistics) but
  do not change the grid (rule 1).
* **Channels.** Channel 10 (index 9, General MIDI drums) is ignored. Notes are
  grouped by channel across all tracks; if several channels have notes, the
  melody is the channel with the most notes (ties: the higher mean pitch, then
  the lower channel number). Notes on the other channels are counted in
  ``MidiInfo.counts`` and not used.
* **Note pairing.** A note-on with velocity 0 is a note-off. A note-off ends the
  sounding note of that channel and pitch; a stray note-off (nothing sounding)
  is ignored. A note-on of a pitch that is already sounding on that channel ends
  the earlier note there and starts a new one (a re-strike).
* **Unterminated notes** (no note-off before the end of their track) end at the
  next onset on their channel in that track, or at the end of the track.
* **Zero-length notes** (note-on and note-off at the same tick) last one step
  (rule 2).
* **No notes** (after dropping drums) raises ``MidiError``.
* **Broken files.** Files larger than ``MAX_FILE_BYTES`` (8 MiB) are refused
  before parsing; any error while reading or parsing (missing file, truncated
  data, a bad header, an undecodable message, a meta message mido cannot
  decode) becomes a ``MidiError`` whose message names the file and the reason.
  Only ``MidiError`` ever leaves ``encode_midi`` / ``read_midi`` (fuzz-tested).
"""
from __future__ import annotations

import bisect
import io
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import mido

__all__ = [
    "MidiError",
    "MidiInfo",
    "VOCAB_SIZE",
    "HOLD",
    "NOTE_OFF",
    "MIN_PITCH",
    "MAX_PITCH",
    "STEPS_PER_QUARTER",
    "STEPS_PER_BAR",
    "MAX_STEPS",
    "MAX_FILE_BYTES",
    "ENCODER_VERSION",
    "pitch_to_token",
    "token_to_pitch",
    "notes_to_tokens",
    "read_midi",
    "read_time_signatures",
    "encode_midi",
    "decode_tokens",
    "is_valid_tokens",
]

# ----------------------------------------------------------------------------
# Vocabulary and grid (SPEC section 1)
# ----------------------------------------------------------------------------
VOCAB_SIZE = 35          # K: hold + note-off + 33 pitches
HOLD = 0                 # no event: the previous state goes on
NOTE_OFF = 1             # the sounding note stops, a rest begins
MIN_PITCH = 55           # G3, token 2
MAX_PITCH = 87           # D#6, token 34
PITCH_OFFSET = MIN_PITCH - 2   # class = pitch - 53
STEPS_PER_QUARTER = 4    # sixteenth-note grid
STEPS_PER_BAR = 16       # a bar is 16 steps whatever the time signature

MAX_STEPS = 65_536       # length cap of one piece (rule 8 of the module docstring)
MAX_FILE_BYTES = 8 * 1024 * 1024   # larger files are refused before parsing
MAX_QUARTERS = 2.0 ** 40  # |start|, |end| beyond this are refused (float precision)

# Bump when a change to the rules changes the tokens of some file: the corpus
# cache (emn_np.data) is keyed by it, so old caches are not reused.
ENCODER_VERSION = 1

# ticks per quarter note of the files decode_tokens writes (120 ticks per step)
_DECODE_TICKS_PER_BEAT = 480
_DECODE_VELOCITY = 90
_DRUM_CHANNEL = 9        # "channel 10" counted from 1


class MidiError(ValueError):
    """A MIDI file (or a list of notes) that cannot be turned into tokens.

    The message names the file (or the ``name`` given to ``notes_to_tokens``)
    and says what is wrong.
    """


def pitch_to_token(pitch: int) -> int:
    """MIDI pitch -> token class, moving the pitch by octaves into 55..87 first.

    >>> pitch_to_token(67), pitch_to_token(88), pitch_to_token(40)
    (14, 23, 4)
    """
    return int(_fold_pitches(np.array([pitch]))[0]) - PITCH_OFFSET


def token_to_pitch(token: int) -> int:
    """Token class 2..34 -> MIDI pitch 55..87 (ValueError for 0, 1 or out of range)."""
    if not 2 <= int(token) <= VOCAB_SIZE - 1:
        raise ValueError(f"token must be a pitch token 2..34, got {token!r}")
    return int(token) + PITCH_OFFSET


def _fold_pitches(pitch: np.ndarray) -> np.ndarray:
    """Move integer pitches by whole octaves into MIN_PITCH..MAX_PITCH (rule 4).

    Inputs:  pitch, int array of shape (N,)
    Returns: int array of shape (N,), each value in 55..87
    """
    pitch = np.asarray(pitch, dtype=np.int64)
    up = np.maximum(0, -(-(MIN_PITCH - pitch) // 12))     # octaves to go up: ceil((55-p)/12)
    down = np.maximum(0, -(-(pitch - MAX_PITCH) // 12))   # octaves to go down: ceil((p-87)/12)
    return pitch + 12 * up - 12 * down


# ----------------------------------------------------------------------------
# The grid rules: notes -> tokens
# ----------------------------------------------------------------------------
def notes_to_tokens(notes, name: str = "<notes>", max_steps: int = MAX_STEPS,
                    stats: dict | None = None) -> np.ndarray:
    """Turn a list of notes into a token sequence by the grid rules (module docstring).

    Inputs:
    - notes: iterable of ``(start, end, pitch)``: start and end in quarter notes
      (floats, end >= start), pitch a MIDI pitch (an integer 0..127). Order does
      not matter; notes may overlap (the highest wins).
    - name: what to call the source in error messages (a file name, a tune title).
    - max_steps: length cap; a longer piece raises MidiError (default MAX_STEPS).
    - stats: optional dict; if given, these counts are added to it:
      ``notes`` (notes given), ``octave_moved`` (pitches moved into range),
      ``lengthened`` (notes shorter than a step after rounding, made one step),
      ``hidden`` (notes that never became the melody: covered by higher notes).

    Returns:
    - tokens: int64 array of shape (T,), T = number of steps from the bar of the
      first onset to the end of the last note; a valid sequence (``is_valid_tokens``).

    Raises MidiError (naming ``name``) when there are no notes, when a note is
    malformed (not three numbers, not finite, end before start, pitch not an
    integer in 0..127), or when the piece would be longer than ``max_steps``.
    """
    try:
        arr = np.asarray(list(notes), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MidiError(f"{name}: notes must be (start, end, pitch) numbers ({exc})") from None
    if arr.size == 0:
        raise MidiError(f"{name}: no notes")
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise MidiError(f"{name}: notes must be (start, end, pitch) triples, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise MidiError(f"{name}: a note has a start, end or pitch that is not a finite number")
    start, end, pitch = arr[:, 0], arr[:, 1], arr[:, 2]
    if np.any(np.abs(arr[:, :2]) > MAX_QUARTERS):
        raise MidiError(f"{name}: a note lies more than 2**40 quarter notes from 0")
    bad = np.flatnonzero(end < start)
    if bad.size:
        i = int(bad[0])
        raise MidiError(f"{name}: note {i} ends ({end[i]}) before it starts ({start[i]})")
    if np.any(pitch != np.round(pitch)) or np.any((pitch < 0) | (pitch > 127)):
        raise MidiError(f"{name}: a pitch is not an integer MIDI pitch 0..127")
    max_steps = int(max_steps)

    # 1-2. Round start and end to the nearest step (halves up); length >= 1 step.
    on = np.floor(start * STEPS_PER_QUARTER + 0.5)
    off = np.maximum(np.floor(end * STEPS_PER_QUARTER + 0.5), on + 1)
    # 3. The piece starts at the bar holding its first onset.
    origin = np.floor(on.min() / STEPS_PER_BAR) * STEPS_PER_BAR
    n_steps = off.max() - origin
    # 8. Check the length before making any array of that size.
    if n_steps > max_steps:
        raise MidiError(
            f"{name}: the piece would be {int(n_steps):,} steps long, more than the cap "
            f"of {max_steps:,} steps (emn_np.midi.MAX_STEPS)")
    on = (on - origin).astype(np.int64)
    off = (off - origin).astype(np.int64)
    T = int(n_steps)

    # 4. Move pitches by octaves into 55..87, then to classes 2..34.
    pitch = pitch.astype(np.int64)
    folded = _fold_pitches(pitch)
    cls = folded - PITCH_OFFSET

    # 5. Highest wins: paint notes from lowest to highest priority, so at each
    #    step `melody` holds the index of the highest sounding note (-1: silence).
    #    Priority: pitch, then onset; for equal pitch and onset, the longer note
    #    is painted last so it is not split by a shorter twin.
    melody = np.full(T, -1, dtype=np.int64)
    for i in np.lexsort((off, on, folded)):
        melody[on[i]:off[i]] = i

    # 5-6. A pitch token where a note becomes the melody; a note-off where the
    #      melody falls silent; 0 elsewhere. (7: the last step always sounds.)
    prev = np.empty_like(melody)
    prev[0] = -1
    prev[1:] = melody[:-1]
    tokens = np.zeros(T, dtype=np.int64)
    starts = (melody >= 0) & (melody != prev)
    tokens[starts] = cls[melody[starts]]
    tokens[(melody < 0) & (prev >= 0)] = NOTE_OFF

    if stats is not None:
        n = len(arr)
        rounded_len = np.floor(end * STEPS_PER_QUARTER + 0.5) - np.floor(start * STEPS_PER_QUARTER + 0.5)
        stats["notes"] = stats.get("notes", 0) + n
        stats["octave_moved"] = stats.get("octave_moved", 0) + int(np.count_nonzero(folded != pitch))
        stats["lengthened"] = stats.get("lengthened", 0) + int(np.count_nonzero(rounded_len < 1))
        stats["hidden"] = stats.get("hidden", 0) + n - len(np.unique(melody[melody >= 0]))
    return tokens


def is_valid_tokens(tokens) -> bool:
    """True if ``tokens`` is a valid token sequence (definition in the module docstring).

    Valid sequences are exactly what the encoder produces; for them
    ``encode_midi(decode_tokens(tokens, path))`` gives ``tokens`` back.

    Inputs:  tokens, array-like of ints, shape (T,)
    Returns: bool
    """
    x = np.asarray(tokens)
    if x.ndim != 1 or not 1 <= len(x) <= MAX_STEPS or x.dtype.kind not in "iu":
        return False
    if x.min() < 0 or x.max() > VOCAB_SIZE - 1:
        return False
    events = x[x != HOLD]                 # the non-hold tokens in order
    first = np.flatnonzero(x)
    if len(events) == 0 or events[0] == NOTE_OFF or first[0] >= STEPS_PER_BAR:
        return False                      # (b)
    if events[-1] == NOTE_OFF:
        return False                      # (d)
    offs = np.flatnonzero(events == NOTE_OFF)
    return bool(np.all(events[offs - 1] >= 2))   # (c): the event before each note-off is a pitch


# ----------------------------------------------------------------------------
# Reading MIDI files
# ----------------------------------------------------------------------------
@dataclass
class MidiInfo:
    """What ``read_midi`` found in a file.

    Attributes:
    - path: the file.
    - format: MIDI file type 0, 1 or 2.
    - ticks_per_beat: the file's division (ticks per quarter note).
    - notes: float64 array of shape (N, 3): ``(start, end, pitch)`` of the melody
      notes, start and end in quarter notes from the start of the file.
    - channel: the channel (0-15) the melody was taken from.
    - time_signatures: list of ``(position in quarter notes, "n/d")`` in time order.
    - counts: how the messy-file rules were applied, e.g. ``drum_notes``,
      ``other_channel_notes``, ``unterminated``, ``restruck``, ``stray_note_offs``,
      ``tempo_changes``.
    """

    path: Path
    format: int
    ticks_per_beat: int
    notes: np.ndarray
    channel: int
    time_signatures: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def _read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, refusing files larger than MAX_FILE_BYTES."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MidiError(f"{path}: cannot read the file: {reason}") from None
    if len(data) > MAX_FILE_BYTES:
        raise MidiError(f"{path}: the file is larger than {MAX_FILE_BYTES // 2**20} MiB "
                        "(emn_np.midi.MAX_FILE_BYTES); not read")
    return data


def _parse(data: bytes, name) -> mido.MidiFile:
    """Parse MIDI bytes with mido; every failure becomes a MidiError naming ``name``."""
    if len(data) == 0:
        raise MidiError(f"{name}: the file is empty")
    if data[:4] != b"MThd":
        raise MidiError(f"{name}: not a MIDI file (it does not start with 'MThd')")
    try:
        return mido.MidiFile(file=io.BytesIO(data))
    except EOFError:
        raise MidiError(f"{name}: the file ends in the middle of a chunk or message (truncated?)") from None
    except Exception as exc:  # mido raises OSError, ValueError, KeyError, IndexError, ...
        raise MidiError(f"{name}: not a readable MIDI file: {type(exc).__name__}: {exc}") from None


def _check_header(mid: mido.MidiFile, name) -> None:
    """Refuse unknown formats and SMPTE or zero timing divisions."""
    if mid.type not in (0, 1, 2):
        raise MidiError(f"{name}: unknown MIDI file format {mid.type} (must be 0, 1 or 2)")
    if mid.ticks_per_beat <= 0:
        raise MidiError(
            f"{name}: timing division {mid.ticks_per_beat} is SMPTE (frames per second) or zero; "
            "only ticks per quarter note are supported")


def _collect(mid: mido.MidiFile, name) -> MidiInfo:
    """Apply the messy-file rules (module docstring) to a parsed file.

    Returns a MidiInfo whose ``notes`` are the melody channel's notes in quarter notes.
    """
    _check_header(mid, name)
    tpb = mid.ticks_per_beat
    notes_by_channel: dict[int, list] = {}   # channel -> [(on_tick, off_tick, pitch)]
    time_sigs: list = []                     # (tick, "n/d")
    counts = dict(drum_notes=0, unterminated=0, restruck=0, stray_note_offs=0, tempo_changes=0)
    track_start = 0                          # type 2: each pattern starts where the last ended

    for track in mid.tracks:
        tick = track_start if mid.type == 2 else 0
        sounding: dict = {}                  # (channel, pitch) -> onset tick
        onsets: dict[int, list] = {}         # channel -> onset ticks in this track (ascending)
        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == "note_on" or kind == "note_off":
                ch = msg.channel
                is_on = kind == "note_on" and msg.velocity > 0   # velocity 0 = note-off
                if ch == _DRUM_CHANNEL:      # channel 10: drums, ignored
                    if is_on:
                        counts["drum_notes"] += 1
                    continue
                key = (ch, msg.note)
                if is_on:
                    if key in sounding:      # re-strike: end the earlier note here
                        notes_by_channel.setdefault(ch, []).append((sounding[key], tick, msg.note))
                        counts["restruck"] += 1
                    sounding[key] = tick
                    onsets.setdefault(ch, []).append(tick)
                else:
                    on = sounding.pop(key, None)
                    if on is None:           # nothing sounding: ignored
                        counts["stray_note_offs"] += 1
                    else:
                        notes_by_channel.setdefault(ch, []).append((on, tick, msg.note))
            elif kind == "time_signature":
                time_sigs.append((tick, f"{msg.numerator}/{msg.denominator}"))
            elif kind == "set_tempo":
                counts["tempo_changes"] += 1
        # Unterminated notes end at the next onset on their channel, else at the end of the track.
        for (ch, pitch), on in sounding.items():
            i = bisect.bisect_right(onsets[ch], on)
            off = onsets[ch][i] if i < len(onsets[ch]) else tick
            notes_by_channel.setdefault(ch, []).append((on, off, pitch))
            counts["unterminated"] += 1
        track_start = tick

    if not notes_by_channel:
        detail = f" ({counts['drum_notes']} drum notes on channel 10 ignored)" if counts["drum_notes"] else ""
        raise MidiError(f"{name}: the file has no notes{detail}")

    # The melody channel: most notes, then highest mean pitch, then lowest number.
    def rank(ch):
        ns = notes_by_channel[ch]
        return (len(ns), sum(n[2] for n in ns) / len(ns), -ch)

    channel = max(notes_by_channel, key=rank)
    counts["other_channel_notes"] = sum(len(v) for c, v in notes_by_channel.items() if c != channel)
    melody = notes_by_channel[channel]

    # Bound positions and length in exact integer arithmetic before any float
    # conversion: huge delta times (corrupt files) must not become huge arrays.
    first, last = min(n[0] for n in melody), max(n[1] for n in melody)
    if first > MAX_QUARTERS * tpb:
        raise MidiError(f"{name}: the first note starts more than 2**40 quarter notes into the file")
    if (last - first) * STEPS_PER_QUARTER > (MAX_STEPS + STEPS_PER_BAR) * tpb:
        raise MidiError(
            f"{name}: the notes span {(last - first) / tpb:,.0f} quarter notes, more than the cap "
            f"of {MAX_STEPS:,} steps (emn_np.midi.MAX_STEPS)")
    notes = np.array([(on / tpb, off / tpb, p) for on, off, p in melody], dtype=np.float64)
    sigs = [(t / tpb, s) for t, s in time_sigs]
    return MidiInfo(path=Path(str(name)), format=mid.type, ticks_per_beat=tpb, notes=notes,
                    channel=channel, time_signatures=sigs, counts=counts)


def read_midi(path) -> MidiInfo:
    """Read the melody notes of a MIDI file by the messy-file rules (module docstring).

    Inputs:  path, str or Path of a .mid/.midi file
    Returns: MidiInfo (notes of shape (N, 3), time signatures, counts)
    Raises:  MidiError naming the file for anything it cannot read.
    """
    path = Path(path)
    return _collect(_parse(_read_bytes(path), path), path)


def read_time_signatures(path) -> list:
    """The time signatures of a MIDI file: list of ``(position in quarter notes, "n/d")``.

    In time order (type 2: patterns one after another). An empty list means the
    file has none (MIDI then assumes 4/4). Works on files without notes too.
    Raises MidiError naming the file if it cannot be read.
    """
    path = Path(path)
    mid = _parse(_read_bytes(path), path)
    _check_header(mid, path)
    sigs, start = [], 0
    for track in mid.tracks:
        tick = start if mid.type == 2 else 0
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature":
                sigs.append((tick / mid.ticks_per_beat, f"{msg.numerator}/{msg.denominator}"))
        start = tick
    return sorted(sigs, key=lambda s: s[0])


def encode_midi(path) -> np.ndarray:
    """Encode a MIDI file as a token sequence (SPEC section 5).

    Reads the melody by the messy-file rules and applies the grid rules
    (``notes_to_tokens``); see the module docstring for both.

    Inputs:  path, str or Path of a .mid/.midi file
    Returns: tokens, int64 array of shape (T,), values in 0..34 (a valid sequence)
    Raises:  MidiError naming the file and the reason (never another exception).
    """
    info = read_midi(path)
    return notes_to_tokens(info.notes, name=str(path))


# ----------------------------------------------------------------------------
# Writing MIDI files
# ----------------------------------------------------------------------------
def _check_tokens(tokens) -> np.ndarray:
    """Validate a token sequence for decoding: 1-D integers in 0..34 -> int64 array (T,)."""
    try:
        x = np.asarray(tokens)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"tokens must be a 1-D sequence of integers 0..34 ({exc})") from None
    if x.ndim != 1:
        raise ValueError(f"tokens must be 1-D (one melody), got an array of shape {x.shape}")
    if x.size and x.dtype.kind not in "iu":
        raise ValueError(f"tokens must be integers 0..34, got dtype {x.dtype}")
    x = x.astype(np.int64)
    bad = np.flatnonzero((x < 0) | (x > VOCAB_SIZE - 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"tokens must be in 0..34, got tokens[{i}] = {x[i]}")
    return x


def decode_tokens(tokens, path, bpm=120) -> Path:
    """Write a token sequence as a one-track MIDI file (SPEC section 5).

    Any sequence of ints in 0..34 is accepted: each pitch token starts a note
    that lasts until the next non-zero token (or the end); a note-off during
    silence and leading holds are silence. The file is type 0, 480 ticks per
    quarter note (120 per step), channel 0, velocity 90, one tempo and a 4/4
    time signature; the track ends after the last step, so a trailing rest is
    kept as silence.

    Inputs:
    - tokens: array-like of ints, shape (T,), values in 0..34 (T may be 0)
    - path: where to write the file (its folder must exist)
    - bpm: tempo in quarter notes per minute (a number > 3.6)

    Returns: the Path written.
    Raises:  ValueError naming ``tokens`` or ``bpm`` for bad input;
             MidiError naming the path if the file cannot be written.
    """
    x = _check_tokens(tokens)
    if (not isinstance(bpm, numbers.Real) or isinstance(bpm, bool) or not math.isfinite(bpm)
            or bpm <= 0 or not 1 <= round(60_000_000 / bpm) <= 0xFFFFFF):
        raise ValueError(f"bpm must be a positive number of beats per minute above 3.6, got {bpm!r}")
    path = Path(path)
    step = _DECODE_TICKS_PER_BEAT // STEPS_PER_QUARTER

    # Events (absolute tick, type, pitch): a note ends at the next non-zero token.
    events = []
    sounding = None
    for t in np.flatnonzero(x).tolist():
        if sounding is not None:
            events.append((t * step, "note_off", sounding))
            sounding = None
        if x[t] >= 2:
            sounding = int(x[t]) + PITCH_OFFSET
            events.append((t * step, "note_on", sounding))
    end = len(x) * step
    if sounding is not None:
        events.append((end, "note_off", sounding))

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="emn_np melody", time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=int(round(60_000_000 / bpm)), time=0))
    now = 0
    for tick, kind, pitch in events:        # absolute ticks -> delta times
        velocity = _DECODE_VELOCITY if kind == "note_on" else 0
        track.append(mido.Message(kind, note=pitch, velocity=velocity, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    mid = mido.MidiFile(type=0, ticks_per_beat=_DECODE_TICKS_PER_BEAT)
    mid.tracks.append(track)
    try:
        mid.save(path)
    except OSError as exc:
        raise MidiError(f"{path}: cannot write the MIDI file: {exc.strerror or exc}") from None
    return path
