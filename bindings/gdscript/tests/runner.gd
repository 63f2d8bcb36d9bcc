# Run a GDScript test under headless Godot 3 so that every failure is a non-zero exit.
#
#   DRUMSCRIBE_GD_TEST=/abs/path/test.gd timeout 300 godot3-server --no-window -s runner.gd
#
# Godot 3 exits 0 on a script parse error and keeps running after a runtime error, so:
# the exit code is set to 1 first; the test is loaded with load() and must can_instance();
# its run() must return the int 0; a watchdog quits with 1 after DRUMSCRIBE_GD_WATCHDOG
# seconds (default 120) whatever happens. Wrap the command in `timeout` as well.
extends SceneTree

var _started_ms = 0
var _limit_ms = 120000


func _init():
	OS.exit_code = 1
	_started_ms = OS.get_ticks_msec()
	var limit = OS.get_environment("DRUMSCRIBE_GD_WATCHDOG")
	if limit.is_valid_integer():
		_limit_ms = int(limit) * 1000
	var path = OS.get_environment("DRUMSCRIBE_GD_TEST")
	if path == "":
		printerr("runner: set DRUMSCRIBE_GD_TEST to the test script")
		quit(1)
		return
	var script = load(path)
	if script == null or not script.can_instance():
		printerr("runner: cannot load %s (a parse error?)" % path)
		quit(1)
		return
	var result = script.new().run()
	if typeof(result) != TYPE_INT:
		printerr("runner: %s run() did not return an int (a runtime error?)" % path)
		quit(1)
		return
	print("runner: run() returned %d" % result)
	quit(0 if result == 0 else 1)


func _idle(_delta):
	if OS.get_ticks_msec() - _started_ms > _limit_ms:
		printerr("runner: watchdog: still running after %d s" % (_limit_ms / 1000))
		quit(1)
	return false
