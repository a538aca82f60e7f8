# Records the engine errors printed while it is installed (Godot >= 4.5, which has the Logger class), so a
# test can count the messages a call prints. Loaded by harness.gd only when ClassDB has "Logger": this file
# does not parse in older engines. Use through Harness.errors_during().
extends Logger

var _mutex := Mutex.new()
var _errors: Array[String] = []


# Error (not warning) reports: push_error, ERR_FAIL_*, gdext's godot_error!. The text is in `code`
# (the message or failed condition) plus `rationale` when there is one.
func _log_error(_function: String, _file: String, _line: int, code: String, rationale: String,
		_editor_notify: bool, error_type: int, _script_backtraces: Array[ScriptBacktrace]) -> void:
	if error_type == ERROR_TYPE_WARNING:
		return
	_mutex.lock()
	_errors.append(code if rationale.is_empty() else "%s: %s" % [code, rationale])
	_mutex.unlock()


## Every error recorded since the last take(); clears the record.
func take() -> Array[String]:
	_mutex.lock()
	var out := _errors.duplicate()
	_errors.clear()
	_mutex.unlock()
	return out
