//! The anonymizer (`--anonymize`): hostnames, user names and home paths
//! replaced by short stable hashes in every file of the bundle.

use sha2::{Digest, Sha256};

use super::hex;

/// Hostnames, user names and home paths replaced by short stable hashes.
pub(super) struct Anonymizer {
    pairs: Vec<(String, String)>,
}

impl Anonymizer {
    pub(super) fn new() -> Self {
        let mut pairs = Vec::new();
        let token =
            |kind: &str, s: &str| format!("{kind}-{}", &hex(&Sha256::digest(s.as_bytes()))[..8]);
        if let Ok(host) = sysinfo::System::host_name()
            && host.len() >= 2
        {
            pairs.push((host.clone(), token("host", &host)));
        }
        let mut users: Vec<String> = Vec::new();
        if let Ok(Some(u)) = nix::unistd::User::from_uid(nix::unistd::Uid::current()) {
            users.push(u.name);
        }
        for var in ["USER", "LOGNAME", "SUDO_USER"] {
            if let Ok(v) = std::env::var(var) {
                users.push(v);
            }
        }
        users.sort();
        users.dedup();
        for user in users.into_iter().filter(|u| u.len() >= 2) {
            let t = token("user", &user);
            pairs.push((format!("/home/{user}"), format!("/home/{t}")));
            pairs.push((user, t));
        }
        if let Ok(home) = std::env::var("HOME")
            && home.len() > 1
        {
            pairs.push((home.clone(), token("home", &home)));
        }
        // Longest first, so /home/alice goes before alice.
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        Anonymizer { pairs }
    }

    pub(super) fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.pairs {
            out = replace_word(&out, from, to);
        }
        out
    }
}

/// Replace `from` where it is not part of a longer word ("root" in
/// "rootfs" stays).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        if word(before) || word(after) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_replaced_only_whole() {
        assert_eq!(
            replace_word("root ran rootfs as root.", "root", "user-1"),
            "user-1 ran rootfs as user-1."
        );
        assert_eq!(
            replace_word("/home/alice/app", "/home/alice", "/home/u"),
            "/home/u/app"
        );
    }
}
