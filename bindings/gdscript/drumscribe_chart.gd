# drumscribe chart loader for Godot 3 (GDScript): JSON chart v1.
#
#     const DrumscribeChart = preload("res://addons/drumscribe/drumscribe_chart.gd")
#     var chart = DrumscribeChart.new()
#     if chart.load_file("res://songs/song.chart.json") != OK:
#         push_error(chart.error_message)   # "difficulties.expert.hits[3].time_s: not sorted (...)"
#     for hit in chart.difficulties.expert.hits:
#         spawn_note(hit.time, hit.lane, hit.velocity)
#
# Enforces all of bindings/chart.schema.json and the rules it cannot express (see
# bindings/README.md): strict JSON (UTF-8, no duplicate keys, nesting depth <= 64; Godot's
# JSON.parse alone accepts trailing commas, trailing text, leading zeros), lane i has index i
# and lane i's name, tempo_map strictly increasing in time with each segment's beat where the
# one before arrives (within 0.01 beat), beats and each difficulty's hits non-decreasing.
#
# A strict syntax pass over the bytes runs first, then JSON.parse builds the values (its
# numbers are exact doubles). The escape \u0000 is rejected (Godot strings end at NUL).
extends Reference

const FORMAT = "drumscribe-chart"
const VERSION = 1
const MAX_DEPTH = 64
const LANE_NAMES = ["kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride"]
const DIFFICULTY_NAMES = ["expert", "hard", "medium", "easy"]
const SECONDS_MAX = 86400.0
const TEMPO_BEAT_TOLERANCE = 0.01  # a segment's beat vs where the one before arrives
const ROOT = "(root)"
# Largest chart file load_file reads, bytes (64 MiB, as every drumscribe loader:
# bindings/README.md). Only regular files are read: a pipe or a device such as /dev/zero
# would be endless.
const MAX_CHART_BYTES = 64 * 1024 * 1024
const ROOT_KEYS = ["format", "version", "lanes", "duration_s", "audio", "model", "time_signature",
		"tempo_map", "beats", "quantization", "difficulties"]

# The chart, after a successful load.
var version = 0
var lanes = []        # 8 x {"index": int, "name": String, "gm_note": int}
var duration_s = 0.0
var tempo_map = []    # {"time": float, "bpm": float, "beat": float}
var beats = []        # {"time": float, "downbeat": bool}
var difficulties = {} # "expert" (always), "hard", "medium", "easy" -> {"hits": [{"time", "lane", "velocity"}]}

# Why the last load failed: kind is one of parse, type, missing, unknown, value, version, range,
# count, order, io; path like "difficulties.expert.hits[3].time_s"; message "path: problem".
var error_kind = ""
var error_path = ""
var error_message = ""

var _bad = false
var _s = PoolByteArray()
var _n = 0
var _pos = 0
var _key_counts = []
var _walk_index = 0


# Load a chart file. Returns OK, ERR_FILE_CANT_OPEN (kind "io": missing, a folder, a pipe or
# a device, larger than MAX_CHART_BYTES), ERR_PARSE_ERROR (kind "parse") or ERR_INVALID_DATA
# (any other kind). Messages end with " (in <path>)".
func load_file(path):
	_reset()
	if Directory.new().dir_exists(path):
		_fail("io", path, "cannot read the file: it is a folder")
		return ERR_FILE_CANT_OPEN
	var f = File.new()
	# Godot 3 opens only regular files (a pipe, a device or a folder is ERR_FILE_CANT_OPEN, and
	# File.file_exists is false for them), so a FIFO does not block and /dev/zero is not read.
	var err = f.open(path, File.READ)
	if err != OK:
		if err == ERR_FILE_CANT_OPEN and not f.file_exists(path):
			_fail("io", path, "cannot read the file: not a regular file (a pipe or a device)")
		else:
			_fail("io", path, "cannot read the file (Godot error %d)" % err)
		return ERR_FILE_CANT_OPEN
	var size = f.get_len()
	if size > MAX_CHART_BYTES:
		f.close()
		_fail("io", path, "cannot read the file: %d bytes, more than the %d allowed" % [size, MAX_CHART_BYTES])
		return ERR_FILE_CANT_OPEN
	# size + 1 bytes at most: get_buffer's array has the length asked for, even at the end of
	# the file (Godot 3.2), so ask for size bytes, keep those read, then try for one more.
	var bytes = f.get_buffer(size)
	var got = f.get_position()
	if got < size:
		bytes.resize(got)
	f.get_8()
	var grew = not f.eof_reached()
	f.close()
	if grew:
		_fail("io", path, "cannot read the file: the file grew while it was read")
		return ERR_FILE_CANT_OPEN
	var rc = parse_bytes(bytes)
	if rc != OK:
		error_message += " (in %s)" % path
	return rc


# Load a chart from JSON text.
func parse_text(text):
	return parse_bytes(text.to_utf8())


# Load a chart from UTF-8 bytes (a leading byte order mark is allowed).
func parse_bytes(bytes):
	_reset()
	var start = 0
	if bytes.size() >= 3 and bytes[0] == 0xEF and bytes[1] == 0xBB and bytes[2] == 0xBF:
		start = 3
	if start > 0:
		bytes = bytes.subarray(start, bytes.size() - 1) if bytes.size() > start else PoolByteArray()
	_s = bytes
	_n = bytes.size()
	_pos = 0
	_key_counts = []
	var ok = _scan_document()
	_s = PoolByteArray()
	if not ok:
		return ERR_PARSE_ERROR
	var parsed = JSON.parse(bytes.get_string_from_utf8())
	if parsed.error != OK:
		_fail("parse", "(json)", "Godot's JSON.parse: %s at line %d" % [parsed.error_string, parsed.error_line])
		return ERR_PARSE_ERROR
	_walk_index = 0
	if _has_duplicate_keys(parsed.result):
		_fail("parse", "(json)", "an object has the same key twice")
		return ERR_PARSE_ERROR
	_key_counts = []
	_read_chart(parsed.result)
	if _bad:
		var kind = error_kind
		var path = error_path
		var message = error_message
		_reset()
		error_kind = kind
		error_path = path
		error_message = message
		return ERR_INVALID_DATA
	return OK


func _reset():
	version = 0
	lanes = []
	duration_s = 0.0
	tempo_map = []
	beats = []
	difficulties = {}
	error_kind = ""
	error_path = ""
	error_message = ""
	_bad = false


func _fail(kind, path, problem):
	if not _bad:
		_bad = true
		error_kind = kind
		error_path = path
		error_message = "%s: %s" % [path, problem]
	return null


# ---------------------------------------------------------------- strict JSON syntax

func _scan_fail(at, problem):
	var line = 1
	var col = 1
	var s = _s
	for i in range(min(at, _n)):
		if s[i] == 10:
			line += 1
			col = 1
		else:
			col += 1
	_fail("parse", "(json)", "%s at line %d column %d" % [problem, line, col])
	return false


func _scan_end_or(problem):
	return _scan_fail(_pos, "unexpected end of input" if _pos >= _n else problem)


func _skip_ws():
	var s = _s
	var i = _pos
	var n = _n
	while i < n:
		var c = s[i]
		if c == 32 or c == 10 or c == 13 or c == 9:
			i += 1
		else:
			break
	_pos = i


func _scan_document():
	_skip_ws()
	if _pos >= _n:
		return _scan_fail(_pos, "empty document")
	if not _scan_value(0):
		return false
	_skip_ws()
	if _pos < _n:
		return _scan_fail(_pos, "unexpected text after the JSON value")
	return true


func _scan_value(depth):
	if _pos >= _n:
		return _scan_fail(_pos, "unexpected end of input")
	var c = _s[_pos]
	if c == 123:  # {
		return _scan_container(depth + 1, true)
	if c == 91:  # [
		return _scan_container(depth + 1, false)
	if c == 34:  # "
		return _scan_string()
	if c == 116:
		return _scan_literal("true")
	if c == 102:
		return _scan_literal("false")
	if c == 110:
		return _scan_literal("null")
	if c == 45 or (c >= 48 and c <= 57):
		return _scan_number()
	return _scan_fail(_pos, "unexpected character")


func _scan_literal(word):
	var w = word.to_utf8()
	if _pos + w.size() > _n:
		return _scan_fail(_pos, "invalid literal")
	for k in range(w.size()):
		if _s[_pos + k] != w[k]:
			return _scan_fail(_pos, "invalid literal")
	_pos += w.size()
	return true


func _scan_container(depth, is_object):
	if depth > MAX_DEPTH:
		return _scan_fail(_pos, "nested deeper than %d" % MAX_DEPTH)
	var close = 125 if is_object else 93
	var index = -1
	if is_object:
		index = _key_counts.size()
		_key_counts.append(0)
	_pos += 1
	_skip_ws()
	if _pos < _n and _s[_pos] == close:
		_pos += 1
		return true
	while true:
		if is_object:
			if _pos >= _n or _s[_pos] != 34:
				return _scan_end_or("expected a string key")
			if not _scan_string():
				return false
			_key_counts[index] += 1
			_skip_ws()
			if _pos >= _n or _s[_pos] != 58:  # :
				return _scan_end_or("expected ':'")
			_pos += 1
			_skip_ws()
		if not _scan_value(depth):
			return false
		_skip_ws()
		if _pos >= _n:
			return _scan_fail(_pos, "unexpected end of input")
		var c = _s[_pos]
		if c == 44:  # ,
			_pos += 1
			_skip_ws()
		elif c == close:
			_pos += 1
			return true
		else:
			return _scan_fail(_pos, "expected ',' or '}'" if is_object else "expected ',' or ']'")
	return false


func _hex(c):
	if c >= 48 and c <= 57:
		return c - 48
	if c >= 97 and c <= 102:
		return c - 87
	if c >= 65 and c <= 70:
		return c - 55
	return -1


func _scan_string():
	var s = _s
	var n = _n
	var i = _pos + 1
	while true:
		if i >= n:
			return _scan_fail(i, "unterminated string")
		var c = s[i]
		if c == 34:
			_pos = i + 1
			return true
		if c < 32:
			return _scan_fail(i, "control character in a string")
		if c == 92:  # backslash
			if i + 1 >= n:
				return _scan_fail(i, "unterminated string")
			var e = s[i + 1]
			if e == 117:  # u
				var code = 0
				for k in range(4):
					var h = _hex(s[i + 2 + k]) if i + 2 + k < n else -1
					if h < 0:
						return _scan_fail(i, "invalid \\u escape")
					code = code * 16 + h
				if code == 0:
					return _scan_fail(i, "the escape \\u0000 is not supported by the Godot loader")
				i += 6
			elif e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 or e == 116:
				i += 2
			else:
				return _scan_fail(i, "invalid escape")
		elif c >= 128:
			var length = _utf8_sequence(s, n, i)
			if length == 0:
				return _scan_fail(i, "not valid UTF-8")
			i += length
		else:
			i += 1
	return false


func _utf8_sequence(s, n, i):
	var c = s[i]
	var lo = 0x80
	var hi = 0xBF
	var length = 0
	if c >= 0xC2 and c <= 0xDF:
		length = 2
	elif c >= 0xE0 and c <= 0xEF:
		length = 3
		if c == 0xE0:
			lo = 0xA0
		if c == 0xED:
			hi = 0x9F
	elif c >= 0xF0 and c <= 0xF4:
		length = 4
		if c == 0xF0:
			lo = 0x90
		if c == 0xF4:
			hi = 0x8F
	else:
		return 0
	if i + length > n:
		return 0
	if s[i + 1] < lo or s[i + 1] > hi:
		return 0
	for k in range(2, length):
		if s[i + k] < 0x80 or s[i + k] > 0xBF:
			return 0
	return length


func _is_digit(i):
	return i < _n and _s[i] >= 48 and _s[i] <= 57


func _scan_number():
	var i = _pos
	if _s[i] == 45:
		i += 1
	if not _is_digit(i):
		return _scan_fail(_pos, "invalid number")
	if _s[i] == 48:
		i += 1
	else:
		while _is_digit(i):
			i += 1
	if i < _n and _s[i] == 46:  # .
		i += 1
		if not _is_digit(i):
			return _scan_fail(i, "invalid number")
		while _is_digit(i):
			i += 1
	if i < _n and (_s[i] == 101 or _s[i] == 69):  # e E
		i += 1
		if i < _n and (_s[i] == 43 or _s[i] == 45):
			i += 1
		if not _is_digit(i):
			return _scan_fail(i, "invalid number")
		while _is_digit(i):
			i += 1
	if i < _n:
		var c = _s[i]
		if (c >= 48 and c <= 57) or c == 46 or c == 101 or c == 69 or c == 43 or c == 45:
			return _scan_fail(i, "invalid number")
	_pos = i
	return true


# JSON.parse keeps the last of two equal keys: compare each object's size with the number
# of keys the scan counted (objects are visited in document order).
func _has_duplicate_keys(v):
	var t = typeof(v)
	if t == TYPE_DICTIONARY:
		var index = _walk_index
		_walk_index += 1
		if index >= _key_counts.size() or v.size() != _key_counts[index]:
			return true
		for key in v:
			if _has_duplicate_keys(v[key]):
				return true
	elif t == TYPE_ARRAY:
		for x in v:
			if _has_duplicate_keys(x):
				return true
	return false


# ---------------------------------------------------------------- schema checks

static func _child(path, key):
	return key if path == ROOT else "%s.%s" % [path, key]


static func _is_number(v):
	var t = typeof(v)
	return t == TYPE_REAL or t == TYPE_INT


static func _num(x):
	if is_inf(x):
		return "Infinity" if x > 0 else "-Infinity"
	if x == floor(x) and abs(x) < 1e15:
		return str(int(x))
	return str(x)


static func _describe(v):
	match typeof(v):
		TYPE_NIL:
			return "null"
		TYPE_ARRAY:
			return "an array"
		TYPE_DICTIONARY:
			return "an object"
		TYPE_STRING:
			return "a string"
		TYPE_BOOL:
			return "a boolean"
		TYPE_REAL, TYPE_INT:
			return "the number " + _num(float(v))
	return "a value"


func _object(v, path):
	if typeof(v) != TYPE_DICTIONARY:
		return _fail("type", path, "expected an object, got " + _describe(v))
	return v


func _array(v, path):
	if typeof(v) != TYPE_ARRAY:
		return _fail("type", path, "expected an array, got " + _describe(v))
	return v


func _only_keys(o, path, allowed):
	for key in o:
		if not allowed.has(key):
			return _fail("unknown", _child(path, key), "unknown key")
	return null


func _required(o, path, key):
	if not o.has(key):
		return _fail("missing", _child(path, key), "required key is missing")
	return o[key]


func _number(v, path, lo, hi, exclusive_lo = false):
	if _bad:
		return 0.0
	if not _is_number(v):
		_fail("type", path, "expected a number, got " + _describe(v))
		return 0.0
	var x = float(v)
	var low = x <= lo if exclusive_lo else x < lo
	if low or x > hi:
		var hi_text = "inf)" if is_inf(hi) else _num(hi) + "]"
		_fail("range", path, "%s is out of range %s%s, %s" % [_num(x), "(" if exclusive_lo else "[", _num(lo), hi_text])
		return 0.0
	return x


func _integer(v, path, lo, hi):
	if _bad:
		return 0
	if not _is_number(v) or is_inf(float(v)) or is_nan(float(v)) or floor(float(v)) != float(v):
		_fail("type", path, "expected an integer, got " + _describe(v))
		return 0
	return int(_number(v, path, lo, hi))


func _seconds(v, path):
	return _number(v, path, 0.0, SECONDS_MAX)


func _string_or_null(v, path):
	var t = typeof(v)
	if t != TYPE_STRING and t != TYPE_NIL:
		_fail("type", path, "expected a string or null, got " + _describe(v))


func _check_order(time, prev_time, has_prev, path, strict):
	if _bad or not has_prev:
		return
	if time < prev_time or (strict and time == prev_time):
		var word = "not strictly increasing" if strict else "not sorted"
		_fail("order", path, "%s (%s after %s)" % [word, _num(time), _num(prev_time)])


func _read_chart(doc):
	var o = _object(doc, ROOT)
	if _bad:
		return
	var format = _required(o, ROOT, "format")
	if _bad:
		return
	if typeof(format) != TYPE_STRING or format != FORMAT:
		var got = "\"%s\"" % format if typeof(format) == TYPE_STRING else _describe(format)
		_fail("value", "format", "expected \"%s\", got %s" % [FORMAT, got])
		return
	var v = _required(o, ROOT, "version")
	if _bad:
		return
	if not _is_number(v) or float(v) != VERSION:
		var got = _num(float(v)) if _is_number(v) else ("\"%s\"" % v if typeof(v) == TYPE_STRING else _describe(v))
		_fail("version", "version", "unsupported chart version %s (this loader reads version %d)" % [got, VERSION])
		return
	_only_keys(o, ROOT, ROOT_KEYS)
	if _bad:
		return
	var new_lanes = _read_lanes(_required(o, ROOT, "lanes") if not _bad else null)
	if _bad:
		return
	var duration = _seconds(_required(o, ROOT, "duration_s"), "duration_s")
	if _bad:
		return
	if o.has("audio"):
		_read_audio(o["audio"])
	if not _bad and o.has("model"):
		_object(o["model"], "model")
	if not _bad and o.has("time_signature"):
		_read_time_signature(o["time_signature"])
	if _bad:
		return
	var new_tempo = _read_tempo_map(_required(o, ROOT, "tempo_map"))
	if _bad:
		return
	var new_beats = _read_beats(_required(o, ROOT, "beats"))
	if _bad:
		return
	if o.has("quantization"):
		_read_quantization(o["quantization"])
	if _bad:
		return
	var new_difficulties = _read_difficulties(_required(o, ROOT, "difficulties"))
	if _bad:
		return
	version = VERSION
	lanes = new_lanes
	duration_s = duration
	tempo_map = new_tempo
	beats = new_beats
	difficulties = new_difficulties


func _read_lanes(v):
	var arr = _array(v, "lanes")
	if _bad:
		return []
	if arr.size() != 8:
		_fail("count", "lanes", "expected 8 lanes, got %d" % arr.size())
		return []
	var out = []
	for i in range(8):
		var p = "lanes[%d]" % i
		var o = _object(arr[i], p)
		if _bad:
			return []
		_only_keys(o, p, ["index", "name", "gm_note"])
		var index = _integer(_required(o, p, "index"), p + ".index", 0, 7) if not _bad else 0
		if _bad:
			return []
		if index != i:
			_fail("value", p + ".index", "is %d, must be %d (lanes are listed in index order)" % [index, i])
			return []
		var name = _required(o, p, "name")
		if _bad:
			return []
		if typeof(name) != TYPE_STRING:
			_fail("type", p + ".name", "expected a string, got " + _describe(name))
			return []
		if not LANE_NAMES.has(name):
			_fail("value", p + ".name", "unknown lane name \"%s\"" % name)
			return []
		if name != LANE_NAMES[i]:
			_fail("value", p + ".name", "is \"%s\", lane %d is \"%s\"" % [name, i, LANE_NAMES[i]])
			return []
		var gm = _integer(_required(o, p, "gm_note"), p + ".gm_note", 0, 127)
		if _bad:
			return []
		out.append({"index": index, "name": name, "gm_note": gm})
	return out


func _read_audio(v):
	var o = _object(v, "audio")
	if _bad:
		return
	_only_keys(o, "audio", ["file", "sha256"])
	if not _bad and o.has("file"):
		_string_or_null(o["file"], "audio.file")
	if not _bad and o.has("sha256"):
		var sha = o["sha256"]
		_string_or_null(sha, "audio.sha256")
		if not _bad and typeof(sha) == TYPE_STRING and not _is_sha256(sha):
			_fail("value", "audio.sha256", "expected 64 lowercase hex digits")


static func _is_sha256(s):
	if s.length() != 64:
		return false
	for i in range(64):
		var c = s.ord_at(i)
		if not ((c >= 48 and c <= 57) or (c >= 97 and c <= 102)):
			return false
	return true


func _read_time_signature(v):
	var p = "time_signature"
	var o = _object(v, p)
	if _bad:
		return
	_only_keys(o, p, ["numerator", "denominator"])
	if _bad:
		return
	_integer(_required(o, p, "numerator"), p + ".numerator", 1, 32)
	if _bad:
		return
	var d = _required(o, p, "denominator")
	if _bad:
		return
	var ok = false
	if _is_number(d):
		for allowed in [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]:
			if float(d) == allowed:
				ok = true
	if not ok:
		_fail("value", p + ".denominator", "expected one of 1, 2, 4, 8, 16, 32, got " + _describe(d))


func _read_tempo_map(v):
	var arr = _array(v, "tempo_map")
	if _bad:
		return []
	if arr.size() < 1:
		_fail("count", "tempo_map", "needs at least one tempo segment")
		return []
	var out = []
	for i in range(arr.size()):
		var p = "tempo_map[%d]" % i
		var o = _object(arr[i], p)
		if _bad:
			return []
		_only_keys(o, p, ["time_s", "bpm", "beat"])
		var time = _seconds(_required(o, p, "time_s"), p + ".time_s") if not _bad else 0.0
		var bpm = _number(_required(o, p, "bpm"), p + ".bpm", 0.0, 1000.0, true) if not _bad else 0.0
		var beat = _number(_required(o, p, "beat"), p + ".beat", 0.0, 1e6) if not _bad else 0.0
		_check_order(time, out[i - 1].time if i > 0 else 0.0, i > 0, p + ".time_s", true)
		if _bad:
			return []
		if i > 0:
			var prev = out[i - 1]
			var expect = prev.beat + (time - prev.time) * prev.bpm / 60.0
			if abs(expect - beat) > TEMPO_BEAT_TOLERANCE:
				_fail("value", p + ".beat", "is %s but the segment before reaches beat %s at %s s" % [_num(beat), _num(expect), _num(time)])
				return []
		out.append({"time": time, "bpm": bpm, "beat": beat})
	return out


func _read_beats(v):
	var arr = _array(v, "beats")
	if _bad:
		return []
	var out = []
	for i in range(arr.size()):
		var p = "beats[%d]" % i
		var o = _object(arr[i], p)
		if _bad:
			return []
		_only_keys(o, p, ["time_s", "downbeat"])
		var time = _seconds(_required(o, p, "time_s"), p + ".time_s") if not _bad else 0.0
		var down = _required(o, p, "downbeat") if not _bad else false
		if _bad:
			return []
		if typeof(down) != TYPE_BOOL:
			_fail("type", p + ".downbeat", "expected a boolean, got " + _describe(down))
			return []
		_check_order(time, out[i - 1].time if i > 0 else 0.0, i > 0, p + ".time_s", false)
		if _bad:
			return []
		out.append({"time": time, "downbeat": down})
	return out


func _read_quantization(v):
	var p = "quantization"
	var o = _object(v, p)
	if _bad:
		return
	_only_keys(o, p, ["grid", "tolerance_s", "snapped", "kept", "max_shift_s"])
	if not _bad and o.has("grid"):
		_string_or_null(o["grid"], p + ".grid")
	if not _bad and o.has("tolerance_s"):
		_number(o["tolerance_s"], p + ".tolerance_s", 0.0, INF)
	if not _bad and o.has("snapped"):
		_integer_unbounded(o["snapped"], p + ".snapped")
	if not _bad and o.has("kept"):
		_integer_unbounded(o["kept"], p + ".kept")
	if not _bad and o.has("max_shift_s"):
		_number(o["max_shift_s"], p + ".max_shift_s", 0.0, INF)


func _integer_unbounded(v, path):
	if not _is_number(v) or is_inf(float(v)) or is_nan(float(v)) or floor(float(v)) != float(v):
		_fail("type", path, "expected an integer, got " + _describe(v))
		return
	_number(v, path, 0.0, INF)


func _read_track(v, p):
	var o = _object(v, p)
	if _bad:
		return null
	_only_keys(o, p, ["hits"])
	var arr = _array(_required(o, p, "hits"), p + ".hits") if not _bad else null
	if _bad:
		return null
	var hits = []
	hits.resize(arr.size())
	var allowed = ["time_s", "lane", "velocity", "raw_time_s", "beat"]
	var prev = 0.0
	for i in range(arr.size()):
		var hp = "%s.hits[%d]" % [p, i]
		var h = arr[i]
		if typeof(h) != TYPE_DICTIONARY:
			_object(h, hp)
			return null
		if h.size() > 3 or not (h.has("time_s") and h.has("lane") and h.has("velocity")):
			_only_keys(h, hp, allowed)
		var time = _seconds(_required(h, hp, "time_s"), hp + ".time_s") if not _bad else 0.0
		var lane = _integer(_required(h, hp, "lane"), hp + ".lane", 0, 7) if not _bad else 0
		var velocity = _integer(_required(h, hp, "velocity"), hp + ".velocity", 1, 127) if not _bad else 0
		if not _bad and h.has("raw_time_s"):
			_seconds(h["raw_time_s"], hp + ".raw_time_s")
		if not _bad and h.has("beat"):
			_number(h["beat"], hp + ".beat", 0.0, INF)
		_check_order(time, prev, i > 0, hp + ".time_s", false)
		if _bad:
			return null
		prev = time
		hits[i] = {"time": time, "lane": lane, "velocity": velocity}
	return {"hits": hits}


func _read_difficulties(v):
	var p = "difficulties"
	var o = _object(v, p)
	if _bad:
		return {}
	_only_keys(o, p, DIFFICULTY_NAMES)
	if _bad:
		return {}
	_required(o, p, "expert")
	if _bad:
		return {}
	var out = {}
	for name in DIFFICULTY_NAMES:
		if o.has(name):
			var track = _read_track(o[name], "%s.%s" % [p, name])
			if _bad:
				return {}
			out[name] = track
	return out
