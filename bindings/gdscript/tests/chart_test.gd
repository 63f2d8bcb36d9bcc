# Test program for drumscribe_chart.gd, run by runner.gd (protocol:
# tests/bindings/bindings_harness.py): for each chart file listed in the file named by
# DRUMSCRIBE_FIXTURE_LIST, "OK\t<name>\t<summary>" or "ERR\t<name>\t<kind>\t<message>";
# then "CHECK\t<name>\tPASS|FAIL\t<detail>" lines. The loader is DRUMSCRIBE_CHART_SCRIPT.
extends Reference

const ONE_HIT = '{"format":"drumscribe-chart","version":1,"lanes":[{"index":0,"name":"kick","gm_note":36},{"index":1,"name":"snare","gm_note":38},{"index":2,"name":"hihat","gm_note":42},{"index":3,"name":"hi_tom","gm_note":50},{"index":4,"name":"mid_tom","gm_note":47},{"index":5,"name":"low_tom","gm_note":45},{"index":6,"name":"crash","gm_note":49},{"index":7,"name":"ride","gm_note":51}],"duration_s":1,"tempo_map":[{"time_s":0,"bpm":120,"beat":0}],"beats":[],"difficulties":{"expert":{"hits":[{"time_s":0.5,"lane":1,"velocity":100}]}}}'

var Chart = null


func _f(x):
	return "%.6f" % x


func _one(h):
	return "%s,%d,%d" % [_f(h.time), h.lane, h.velocity]


func _summary(c):
	var parts = []
	var lane_parts = []
	for lane in c.lanes:
		lane_parts.append("%s:%d" % [lane.name, lane.gm_note])
	parts.append("lanes=" + PoolStringArray(lane_parts).join(","))
	parts.append("duration=" + _f(c.duration_s))
	var t = 0.0
	var bpm = 0.0
	var beat = 0.0
	for s in c.tempo_map:
		t += s.time
		bpm += s.bpm
		beat += s.beat
	parts.append("tempo=%d;%s;%s;%s" % [c.tempo_map.size(), _f(t), _f(bpm), _f(beat)])
	var bt = 0.0
	var down = 0
	for b in c.beats:
		bt += b.time
		if b.downbeat:
			down += 1
	parts.append("beats=%d;%d;%s" % [c.beats.size(), down, _f(bt)])
	for name in ["expert", "hard", "medium", "easy"]:
		if not c.difficulties.has(name):
			parts.append(name + "=-")
			continue
		var hits = c.difficulties[name].hits
		var ht = 0.0
		var lanes = 0
		var vels = 0
		for h in hits:
			ht += h.time
			lanes += h.lane
			vels += h.velocity
		var first = _one(hits[0]) if hits.size() > 0 else "none"
		var last = _one(hits[hits.size() - 1]) if hits.size() > 0 else "none"
		parts.append("%s=%d;%s;%d;%d;%s;%s" % [name, hits.size(), _f(ht), lanes, vels, first, last])
	return PoolStringArray(parts).join(" ")


func _check(name, failure):
	print("CHECK\t%s\t%s\t%s" % [name, "PASS" if failure == "" else "FAIL", failure])


func run():
	var script_path = OS.get_environment("DRUMSCRIBE_CHART_SCRIPT")
	Chart = load(script_path)
	if Chart == null or not Chart.can_instance():
		printerr("chart_test: cannot load %s" % script_path)
		return 1
	var list = File.new()
	if list.open(OS.get_environment("DRUMSCRIBE_FIXTURE_LIST"), File.READ) != OK:
		printerr("chart_test: cannot read DRUMSCRIBE_FIXTURE_LIST")
		return 1
	var unsorted = ""
	while not list.eof_reached():
		var path = list.get_line().strip_edges()
		if path == "":
			continue
		var name = path.get_file()
		if name == "unsorted_hits.json":
			unsorted = path
		var c = Chart.new()
		var rc = c.load_file(path)
		if rc == OK:
			print("OK\t%s\t%s" % [name, _summary(c)])
		else:
			var message = c.error_message.replace("\t", " ").replace("\n", " ").replace("\r", " ")
			print("ERR\t%s\t%s\t%s" % [name, c.error_kind, message])
	list.close()
	_api_checks(unsorted)
	return 0


func _api_checks(unsorted):
	var c = Chart.new()
	var rc = c.parse_text(ONE_HIT)
	var failure = ""
	if rc != OK:
		failure = c.error_message
	else:
		var h = c.difficulties.expert.hits
		if not (h.size() == 1 and h[0].time == 0.5 and h[0].lane == 1 and h[0].velocity == 100
				and c.lanes[2].name == "hihat" and c.lanes[7].gm_note == 51
				and not c.difficulties.has("hard") and c.tempo_map[0].bpm == 120.0 and c.duration_s == 1.0):
			failure = "wrong values"
	_check("parse_text", failure)

	rc = c.parse_text(char(0xFEFF) + ONE_HIT)
	_check("parse_text_with_bom", "" if rc == OK and c.duration_s == 1.0 else "rc %d %s" % [rc, c.error_message])

	rc = c.load_file("/nonexistent/dir/chart.json")
	_check("missing_file_is_io_error", "" if rc == ERR_FILE_CANT_OPEN and c.error_kind == "io" else "rc %d kind %s" % [rc, c.error_kind])

	rc = c.parse_text(ONE_HIT.replace('"lane":1', '"lane":9'))
	var ok = rc == ERR_INVALID_DATA and c.error_kind == "range" and c.error_path == "difficulties.expert.hits[0].lane"
	ok = ok and c.error_message.begins_with("difficulties.expert.hits[0].lane: ")
	ok = ok and c.lanes.size() == 0 and c.difficulties.size() == 0  # nothing half-loaded
	_check("error_fields", "" if ok else "rc %d %s" % [rc, c.error_message])

	rc = c.parse_text(ONE_HIT)
	_check("reuse_after_failure", "" if rc == OK and c.error_kind == "" and c.lanes.size() == 8 else c.error_message)

	if unsorted == "":
		_check("file_error_names_the_file", "no unsorted_hits fixture given")
	else:
		c.load_file(unsorted)
		_check("file_error_names_the_file", "" if unsorted in c.error_message else c.error_message)

	var bad = ["", "{", "[1,]", '{"a":1,}', "01", "1.", ".5", "+1", "-", "1e", "NaN", "[1] x",
		'"\\x"', '"\\u12"', '"a\tb"', "{'a':1}", '{"a" 1}', "tru", "[1 2]", '{"a":1,"a":2}',
		'"\\u0000"', '{"b":{"a":1,"a":2}}', '[{"a":[{"x":1}],"b":{"c":2,"c":3}}]']
	failure = ""
	for text in bad:
		rc = c.parse_text(text)
		if rc != ERR_PARSE_ERROR or c.error_kind != "parse":
			failure = "accepted or wrong kind: " + text
	var deep = ""
	for i in range(64):
		deep += "["
	for i in range(64):
		deep += "]"
	rc = c.parse_text(deep)
	if rc != ERR_INVALID_DATA or c.error_kind != "type":
		failure = "depth 64 should parse (then fail as not an object): " + c.error_message
	rc = c.parse_text("[" + deep + "]")
	if rc != ERR_PARSE_ERROR:
		failure = "depth 65 should not parse"
	_check("strict_json", failure)
