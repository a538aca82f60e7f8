//! Forwards the `log` records of the core and the addon to Godot's output: errors as errors
//! (`push_error`), warnings as warnings, the rest as prints, at a level the user can set.

use godot::global::{godot_error, godot_print, godot_warn};
use log::{Level, LevelFilter, Log, Metadata, Record};

struct GodotLogger;

static LOGGER: GodotLogger = GodotLogger;

impl Log for GodotLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        match record.level() {
            Level::Error => godot_error!("[openssl_dtls] {}", record.args()),
            Level::Warn => godot_warn!("[openssl_dtls] {}", record.args()),
            level => godot_print!("[openssl_dtls] {level}: {}", record.args()),
        }
    }

    fn flush(&self) {}
}

/// Installs the logger (once; a second call, or another logger already set, is harmless).
pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

/// Sets the level: 0 off, 1 errors, 2 warnings (default), 3 info, 4 debug, 5 trace.
pub fn set_level(level: i64) {
    let filter = match level {
        i64::MIN..=0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        4 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    log::set_max_level(filter);
}

/// The current level, numbered as in [`set_level`].
pub fn level() -> i64 {
    match log::max_level() {
        LevelFilter::Off => 0,
        LevelFilter::Error => 1,
        LevelFilter::Warn => 2,
        LevelFilter::Info => 3,
        LevelFilter::Debug => 4,
        LevelFilter::Trace => 5,
    }
}
