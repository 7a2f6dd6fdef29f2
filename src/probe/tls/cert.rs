//! One certificate as the report shows it: names, issuer, validity and
//! whether it is a CA or vouches for itself, parsed from DER without ever
//! panicking on what a server sends.

use x509_parser::extensions::GeneralName;

use super::date;

/// One certificate as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses it is valid for.
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// Issued by itself (issuer = subject): nothing vouches for it but the
    /// certificate itself.
    pub self_signed: bool,
    pub is_ca: bool,
}

impl CertInfo {
    pub fn parse(der: &[u8]) -> Result<CertInfo, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("the certificate does not parse: {e}"))?;
        let sans = match cert.subject_alternative_name() {
            Ok(Some(ext)) => ext.value.general_names.iter().filter_map(san).collect(),
            _ => Vec::new(),
        };
        let validity = cert.validity();
        Ok(CertInfo {
            subject: name_text(&cert.subject().to_string()),
            issuer: name_text(&cert.issuer().to_string()),
            sans,
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            is_ca: cert.is_ca(),
        })
    }

    /// Whole days from `now` to expiry, rounded to the nearest day
    /// (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now + 43_200).div_euclid(86_400)
    }

    /// `CN=localhost (valid 2025-01-01 → 2026-01-01; names: localhost, 127.0.0.1)`
    pub fn describe(&self) -> String {
        let names = if self.sans.is_empty() {
            "no subject alternative names".to_string()
        } else {
            format!("names: {}", self.sans.join(", "))
        };
        format!(
            "{} (issuer {}; valid {} → {}; {names})",
            self.subject,
            self.issuer,
            date(self.not_before),
            date(self.not_after)
        )
    }
}

fn san(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(d) => Some(d.to_string()),
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv4Addr::from(a).to_string()),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv6Addr::from(a).to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn name_text(s: &str) -> String {
    if s.is_empty() {
        "(empty name)".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_parses_as_a_certificate() {
        assert!(CertInfo::parse(b"").is_err());
        assert!(CertInfo::parse(&[0x30, 0x82, 0xff, 0xff, 0x00]).is_err());
    }

    #[test]
    fn days_left_rounds_to_the_nearest_day() {
        let c = CertInfo {
            subject: "CN=a".into(),
            issuer: "CN=a".into(),
            sans: vec![],
            not_before: 0,
            not_after: 10 * 86_400,
            self_signed: true,
            is_ca: false,
        };
        assert_eq!(c.days_left(5 * 86_400 + 60), 5);
        assert_eq!(c.days_left(0), 10);
        assert_eq!(c.days_left(12 * 86_400), -2);
    }
}
