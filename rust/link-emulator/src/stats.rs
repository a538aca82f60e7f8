//! The counters of both directions as JSON, written to a file whole (a temporary file renamed over
//! it, so a reader never sees half of one).

use std::fs;
use std::io;
use std::path::Path;

use openssl_dtls_core::netsim::Counters;

/// `{"up": {...}, "down": {...}}` with every counter of each direction.
pub fn json(up: &Counters, down: &Counters) -> String {
    let one = |c: &Counters| {
        format!(
            "{{\"offered\": {}, \"offered_bytes\": {}, \"queue_drops\": {}, \"random_drops\": {}, \
             \"duplicated\": {}, \"reordered\": {}, \"delivered\": {}, \"delivered_bytes\": {}}}",
            c.offered,
            c.offered_bytes,
            c.queue_drops,
            c.random_drops,
            c.duplicated,
            c.reordered,
            c.delivered,
            c.delivered_bytes
        )
    };
    format!("{{\"up\": {}, \"down\": {}}}\n", one(up), one(down))
}

/// Writes the counters to `path`.
pub fn write(path: &Path, up: &Counters, down: &Counters) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    fs::write(&tmp, json(up, down))?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_every_counter_of_both_directions() {
        let up = Counters {
            offered: 3,
            queue_drops: 1,
            delivered: 2,
            ..Counters::default()
        };
        let text = json(&up, &Counters::default());
        assert!(text.starts_with("{\"up\": {\"offered\": 3, "), "{text}");
        assert!(text.contains("\"queue_drops\": 1"), "{text}");
        assert!(text.contains("\"down\": {\"offered\": 0, "), "{text}");
        assert_eq!(text.matches("delivered_bytes").count(), 2);
    }
}
