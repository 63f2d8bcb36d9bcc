"""drumscribe: drum transcription for rhythm-game charts.

Audio in, drum hits out, through an ONNX model run with onnxruntime (no torch here)::

    import drumscribe
    result = drumscribe.transcribe("song.wav")
    for hit in result.hits:
        print(hit.time_s, hit.drum, hit.velocity)
    result.to_midi("song.mid")
    result.write("song.json")          # JSON chart v1 (bindings/chart.schema.json)
"""

from drumscribe.contract import GM_DRUM_CHANNEL, LANE_NAMES, LANES, Lane
from drumscribe.errors import AudioError, ChartError, DrumscribeError, ModelError
from drumscribe.hits import DrumHit
from drumscribe.inference import StreamingTranscriber
from drumscribe.live import LiveModel, LiveTranscriber, load_live_model
from drumscribe.model import Model, ModelSpec, default_model_path, load_model
from drumscribe.peaks import PeakPicker, pick_peaks
from drumscribe.transcribe import transcribe
from drumscribe.transcription import Transcription

__version__ = "0.1.0"

__all__ = [
    "GM_DRUM_CHANNEL",
    "LANES",
    "LANE_NAMES",
    "AudioError",
    "ChartError",
    "DrumHit",
    "DrumscribeError",
    "Lane",
    "LiveModel",
    "LiveTranscriber",
    "Model",
    "ModelError",
    "ModelSpec",
    "PeakPicker",
    "StreamingTranscriber",
    "Transcription",
    "__version__",
    "default_model_path",
    "load_live_model",
    "load_model",
    "pick_peaks",
    "transcribe",
]
