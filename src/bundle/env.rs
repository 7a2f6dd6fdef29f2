//! The environment filter: which of the caller's variables go into
//! `env.txt` (those that matter to a real-time connection), with the
//! values of secret-named ones hidden.

/// The variables that matter to a real-time connection.
pub(super) fn env_text(env: &[(String, String)]) -> String {
    let mut lines: Vec<String> = env
        .iter()
        .filter(|(k, _)| relevant_var(k))
        .map(|(k, v)| {
            let v = if crate::redact::is_secret_name(k) {
                crate::redact::MARK
            } else {
                v.as_str()
            };
            format!("{k}={v}")
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

fn relevant_var(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    up.contains("PORT")
        || up.contains("HOST")
        || up.ends_with("_PROXY")
        || [
            "NODE_",
            "NPM_CONFIG_PROXY",
            "PYTHON",
            "SOCKETIO",
            "SOCKET_IO",
            "WEBSOCKET",
            "RTDOCTOR_",
            "FLASK_",
            "GUNICORN",
            "UVICORN",
        ]
        .iter()
        .any(|p| up.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_variables_that_matter() {
        let env = vec![
            ("PORT".to_string(), "8765".to_string()),
            ("API_TOKEN".to_string(), "tok".to_string()),
            ("HTTP_PROXY".to_string(), "http://p:3128".to_string()),
            ("EDITOR".to_string(), "vim".to_string()),
            (
                "NODE_OPTIONS".to_string(),
                "--dns-result-order=ipv4first".to_string(),
            ),
        ];
        let text = env_text(&env);
        assert!(
            text.contains("PORT=8765")
                && text.contains("HTTP_PROXY=")
                && text.contains("NODE_OPTIONS=")
        );
        assert!(!text.contains("EDITOR") && !text.contains("API_TOKEN"));
    }
}
