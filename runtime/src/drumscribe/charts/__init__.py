"""Playable charts from transcriptions: tempo map and beat grid, quantisation, difficulty
levels, and the formats drum games read (JSON chart v1, General MIDI, Rock Band / Clone
Hero ``notes.mid``, Clone Hero ``.chart``, YARG elite drums, song folders, PNG preview).

Quick use::

    from drumscribe.charts import build_chart, write_song_folder
    chart = build_chart(transcription)                    # JSON chart v1 dict
    write_song_folder(transcription, "songs/My Song", format="clonehero")

Everything here needs numpy, mido and soundfile only; the preview imports matplotlib when
called. See ``README.md`` beside this file for the rules each step follows.
"""

from __future__ import annotations

from drumscribe.charts.beat_tracking import TempoEstimate, estimate_tempo, fit_tempo_map, onset_envelope
from drumscribe.charts.chart import Chart, build_chart, chart_from_transcription
from drumscribe.charts.clonehero import ChartFile, read_notes_chart, write_notes_chart
from drumscribe.charts.difficulty import RULES, DifficultyRules, build_difficulties, reduce_difficulty
from drumscribe.charts.general_midi import write_chart_midi, write_transcription_midi
from drumscribe.charts.json_chart import (
    chart_from_dict,
    chart_to_json,
    read_chart_json,
    validate_chart,
    write_chart_json,
)
from drumscribe.charts.preview import render_preview
from drumscribe.charts.pro_drums import DrumGem, Pad, ProDrumNote
from drumscribe.charts.quantize import parse_grid, quantize
from drumscribe.charts.records import (
    DIFFICULTIES,
    Beat,
    ChartHit,
    QuantizeReport,
    TempoSegment,
    TimeSignature,
)
from drumscribe.charts.rockband import NotesMid, read_notes_mid, write_notes_mid
from drumscribe.charts.song_folder import SONG_FORMATS, SongFolderWarning, write_song_folder
from drumscribe.charts.song_ini import read_song_ini, write_song_ini
from drumscribe.charts.structure import (
    Phrase,
    Section,
    fill_phrases,
    lead_in_pad_s,
    preview_start_s,
    shift_chart,
    song_sections,
    star_power_phrases,
)
from drumscribe.charts.tempo import TempoMap, load_tempo_map
from drumscribe.charts.yarg import EliteGem

__all__ = [
    "DIFFICULTIES",
    "RULES",
    "SONG_FORMATS",
    "Beat",
    "Chart",
    "ChartFile",
    "ChartHit",
    "DifficultyRules",
    "DrumGem",
    "EliteGem",
    "NotesMid",
    "Pad",
    "Phrase",
    "ProDrumNote",
    "QuantizeReport",
    "Section",
    "SongFolderWarning",
    "TempoEstimate",
    "TempoMap",
    "TempoSegment",
    "TimeSignature",
    "build_chart",
    "build_difficulties",
    "chart_from_dict",
    "chart_from_transcription",
    "chart_to_json",
    "estimate_tempo",
    "fill_phrases",
    "fit_tempo_map",
    "lead_in_pad_s",
    "load_tempo_map",
    "onset_envelope",
    "parse_grid",
    "preview_start_s",
    "quantize",
    "read_chart_json",
    "read_notes_chart",
    "read_notes_mid",
    "read_song_ini",
    "reduce_difficulty",
    "render_preview",
    "shift_chart",
    "song_sections",
    "star_power_phrases",
    "validate_chart",
    "write_chart_json",
    "write_chart_midi",
    "write_notes_chart",
    "write_notes_mid",
    "write_song_folder",
    "write_song_ini",
    "write_transcription_midi",
]
