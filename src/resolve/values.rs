//! The values that need more than clap's syntax: the `--auth` JSON, an
//! origin, a page URL, a header, the Engine.IO version, and the words of
//! `format` and `color` in the config file. Each is used for the flag and
//! for the config key alike, so both accept and refuse the same text.

use clap::ValueEnum;

use crate::cli::{ColorArg, FormatArg};
use crate::secret::Header;
use crate::settings::{EioMode, Format};
use crate::style::ColorChoice;

/// `--auth '{"token":"…"}'`: a JSON object (Socket.IO sends it as is).
pub fn parse_auth(text: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err("the auth payload must be a JSON object, e.g. '{\"token\":\"…\"}'".into()),
        Err(e) => Err(format!("the auth payload is not JSON ({e})")),
    }
}

/// `--origin https://app.example.com`: scheme, host and port, no path.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("'{text}' is not an origin ({e}); write e.g. https://app.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "'{text}' is not an origin: write scheme://host[:port], e.g. https://app.example.com"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// `--page https://app.example.com/chat`: an http(s) URL.
pub fn parse_page(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "'{text}' is not a page URL: write http(s)://host/path"
        ));
    }
    Ok(url)
}

/// `-H 'Name: value'`, checked so that every probe sends it as given.
pub fn parse_header(text: &str) -> Result<Header, String> {
    Header::parse(text)
}

pub fn parse_eio(text: &str) -> Result<EioMode, String> {
    match text.trim() {
        "auto" => Ok(EioMode::Auto),
        "3" => Ok(EioMode::V3),
        "4" => Ok(EioMode::V4),
        other => Err(format!(
            "'{other}' is not an Engine.IO version: 3, 4 or auto"
        )),
    }
}

/// The config file's `format`, in the words `--format` takes.
pub fn parse_format(s: &str) -> Result<Format, String> {
    FormatArg::from_str(s, true)
        .map(Into::into)
        .map_err(|_| format!("'{s}' is not a format: human, json or junit"))
}

/// The config file's `color`, in the words `--color` takes.
pub fn parse_color(s: &str) -> Result<ColorChoice, String> {
    ColorArg::from_str(s, true)
        .map(Into::into)
        .map_err(|_| format!("'{s}' is not a colour choice: auto, always or never"))
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
        }
    }
}

impl From<ColorArg> for ColorChoice {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_pages() {
        assert_eq!(
            parse_origin("https://App.example.com/chat?x=1"),
            Ok("https://app.example.com".into())
        );
        assert_eq!(
            parse_origin("http://localhost:3000"),
            Ok("http://localhost:3000".into())
        );
        assert!(parse_origin("app.example.com").is_err());
        assert!(parse_origin("ws://x").is_err());
        assert!(parse_page("https://app.example.com/chat").is_ok());
        assert!(parse_page("file:///x").is_err());
    }

    #[test]
    fn headers_auth_and_eio() {
        let h = parse_header("Authorization: Bearer x:y").unwrap();
        assert_eq!(h.name(), "Authorization");
        assert_eq!(h.value().expose(), "Bearer x:y");
        let err = parse_header("Bearer secret-token").unwrap_err();
        assert!(!err.contains("secret-token"), "{err}");
        assert!(parse_header("Bad Name: v").is_err());
        assert!(parse_auth(r#"{"token":"t"}"#).is_ok());
        assert!(parse_auth("[1]").is_err());
        assert!(parse_auth("{").is_err());
        assert_eq!(parse_eio("3"), Ok(EioMode::V3));
        assert!(parse_eio("5").is_err());
    }
}
