//! How `rtdoctor.toml`'s tables become `FileConfig` and `FileTarget`.
//!
//! Both tables share the Socket.IO keys (`FileSocketIo`). serde's
//! `#[serde(flatten)]` would share them for free, but it buffers every
//! value first and so strips the spans that `toml::Spanned` reads: a file
//! setting `headers`, `auth`, `eio`, `origin` or `page` failed with
//! "expected a spanned value". These visitors hand each value straight from
//! the TOML parser to its field, spans and all.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use toml::Spanned;

use super::{FileConfig, FileSocketIo, FileTarget};

/// The keys that `FileSocketIo::take` reads, written once, followed by the
/// keys of one table; serde's "unknown field" message needs each table's
/// whole list as one static slice.
macro_rules! with_socketio_keys {
    ($($key:literal),*) => {
        &[
            $($key,)*
            "socketio_path",
            "health_path",
            "namespace",
            "auth",
            "eio",
            "headers",
            "ws_paths",
            "origin",
            "page",
            "subprotocols",
            "cacert",
            "insecure",
        ]
    };
}

#[cfg(test)]
pub(crate) const SOCKETIO_KEYS: &[&str] = with_socketio_keys!();

/// The keys of the top level.
pub(crate) const TOP_KEYS: &[&str] = with_socketio_keys!(
    "timeout",
    "soak",
    "port_range",
    "only",
    "skip",
    "strict",
    "format",
    "color",
    "output",
    "checks",
    "target"
);

/// The keys of a `[[target]]` table.
pub(crate) const TARGET_KEYS: &[&str] =
    with_socketio_keys!("url", "backend", "timeout", "port_range");

/// Sets `slot` once; a key given twice is an error, as serde's derive says.
fn set<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    slot: &mut Option<T>,
    key: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl FileSocketIo {
    /// Reads `key`'s value if it is one of the shared keys; `false` when
    /// it is not (the caller decides whether it is unknown).
    fn take<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "socketio_path" => set(&mut self.socketio_path, "socketio_path", map)?,
            "health_path" => set(&mut self.health_path, "health_path", map)?,
            "namespace" => set(&mut self.namespace, "namespace", map)?,
            "auth" => set(&mut self.auth, "auth", map)?,
            "eio" => set(&mut self.eio, "eio", map)?,
            "headers" => set(&mut self.headers, "headers", map)?,
            "ws_paths" => set(&mut self.ws_paths, "ws_paths", map)?,
            "origin" => set(&mut self.origin, "origin", map)?,
            "page" => set(&mut self.page, "page", map)?,
            "subprotocols" => set(&mut self.subprotocols, "subprotocols", map)?,
            "cacert" => set(&mut self.cacert, "cacert", map)?,
            "insecure" => set(&mut self.insecure, "insecure", map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = FileConfig;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("rtdoctor's settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileConfig, A::Error> {
        let mut c = FileConfig::default();
        let mut targets: Option<Vec<FileTarget>> = None;
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            match key.get_ref().as_str() {
                "timeout" => set(&mut c.timeout, "timeout", &mut map)?,
                "soak" => set(&mut c.soak, "soak", &mut map)?,
                "port_range" => set(&mut c.port_range, "port_range", &mut map)?,
                "only" => set(&mut c.only, "only", &mut map)?,
                "skip" => set(&mut c.skip, "skip", &mut map)?,
                "strict" => set(&mut c.strict, "strict", &mut map)?,
                "format" => set(&mut c.format, "format", &mut map)?,
                "color" => set(&mut c.color, "color", &mut map)?,
                "output" => set(&mut c.output, "output", &mut map)?,
                "checks" => set(&mut c.checks, "checks", &mut map)?,
                "target" => set(&mut targets, "target", &mut map)?,
                other => {
                    if !c.socketio.take(other, &mut map)? {
                        // Said with the others once the file is read.
                        map.next_value::<IgnoredAny>()?;
                        c.unknown.push(key);
                    }
                }
            }
        }
        c.target = targets.unwrap_or_default();
        Ok(c)
    }
}

impl<'de> Deserialize<'de> for FileConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TopVisitor)
    }
}

struct TargetVisitor;

impl<'de> Visitor<'de> for TargetVisitor {
    type Value = FileTarget;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a [[target]] table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileTarget, A::Error> {
        let mut url = None;
        let mut backend = None;
        let mut timeout = None;
        let mut port_range = None;
        let mut socketio = FileSocketIo::default();
        let mut unknown = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            match key.get_ref().as_str() {
                "url" => set(&mut url, "url", &mut map)?,
                "backend" => set(&mut backend, "backend", &mut map)?,
                "timeout" => set(&mut timeout, "timeout", &mut map)?,
                "port_range" => set(&mut port_range, "port_range", &mut map)?,
                other => {
                    if !socketio.take(other, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                        unknown.push(key);
                    }
                }
            }
        }
        Ok(FileTarget {
            url: url.ok_or_else(|| de::Error::missing_field("url"))?,
            backend,
            timeout,
            port_range,
            socketio,
            unknown,
        })
    }
}

impl<'de> Deserialize<'de> for FileTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TargetVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key lists the errors name agree with what the visitors read.
    #[test]
    fn key_lists_hold_the_shared_keys() {
        for k in SOCKETIO_KEYS {
            assert!(TOP_KEYS.contains(k) && TARGET_KEYS.contains(k), "{k}");
        }
    }

    #[test]
    fn every_shared_key_loads_with_its_span() {
        let text = r#"
headers = ["Authorization: Bearer x", "X-A: b"]
auth = { token = "t", n = 1 }
eio = "3"
origin = "https://app.example.com"
page = "https://app.example.com/chat"

[[target]]
url = "http://localhost:1"
auth = '{"token":"s"}'
headers = ["X-B: c"]
eio = "4"
origin = "http://localhost:3000"
page = "http://localhost:3000/"
"#;
        let c: FileConfig = toml::from_str(text).unwrap();
        let s = &c.socketio;
        assert_eq!(s.headers.as_ref().unwrap().len(), 2);
        assert_eq!(s.eio.as_ref().unwrap().get_ref(), "3");
        let eio_at = s.eio.as_ref().unwrap().span().start;
        assert_eq!(&text[eio_at..eio_at + 3], "\"3\"");
        assert!(matches!(
            s.auth.as_ref().unwrap().get_ref(),
            toml::Value::Table(_)
        ));
        let t = &c.target[0].socketio;
        assert!(matches!(
            t.auth.as_ref().unwrap().get_ref(),
            toml::Value::String(_)
        ));
        assert_eq!(t.page.as_ref().unwrap().get_ref(), "http://localhost:3000/");
    }

    #[test]
    fn unknown_keys_are_kept_with_their_place_and_missing_ones_named() {
        let text = "bogus = 1\n[[target]]\nurl = \"1\"\nbad = { a = 1 }\n";
        let c: FileConfig = toml::from_str(text).unwrap();
        let top: Vec<&str> = c.unknown.iter().map(|k| k.get_ref().as_str()).collect();
        assert_eq!(top, ["bogus"]);
        assert_eq!(c.unknown[0].span().start, 0);
        let bad = &c.target[0].unknown[0];
        assert_eq!(&text[bad.span()], "bad");
        let err = toml::from_str::<FileConfig>("[[target]]\ntimeout = \"1s\"\n").unwrap_err();
        assert!(err.message().contains("missing field `url`"), "{err}");
    }
}
