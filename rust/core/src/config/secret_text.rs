//! Text that holds a secret (a PEM private key): it reads as a `String` and is wiped when it
//! drops, so a config or identity that goes leaves no copy of its key behind.

use std::fmt;
use std::ops::{Deref, DerefMut};

use zeroize::Zeroize;

/// A `String` wiped when dropped (and in each clone when that drops). `Debug` shows its length
/// only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(text: impl Into<String>) -> SecretString {
        SecretString(text.into())
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Deref for SecretString {
    type Target = String;

    fn deref(&self) -> &String {
        &self.0
    }
}

impl DerefMut for SecretString {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> SecretString {
        SecretString(text)
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> SecretString {
        SecretString(text.to_string())
    }
}

impl From<&SecretString> for String {
    /// A plain copy: its new owner wipes it (as `OwnCertificate` does) or not.
    fn from(text: &SecretString) -> String {
        text.0.clone()
    }
}

impl From<SecretString> for String {
    /// Moves the text out (the emptied `SecretString` has nothing left to wipe).
    fn from(mut text: SecretString) -> String {
        std::mem::take(&mut text.0)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} bytes]", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::SecretString;

    #[test]
    fn reads_as_its_text_and_debug_shows_only_its_length() {
        let key = SecretString::from("-----BEGIN PRIVATE KEY-----");
        assert_eq!(key.as_str(), "-----BEGIN PRIVATE KEY-----");
        assert_eq!(format!("{key:?}"), "[27 bytes]");
        assert_eq!(key.clone(), key);
        assert_eq!(String::from(key), "-----BEGIN PRIVATE KEY-----");
    }
}
