//! Redirect URIs of OpenID Connect clients (issue 18): registered by an administrator, matched
//! by exact string comparison (RFC 9700 §2.1, OIDC Core §3.1.2.1), never patterns.

use std::fmt;

use crate::DomainError;

/// The longest redirect URI accepted.
pub const REDIRECT_URI_MAX_BYTES: usize = 2000;

/// A registered redirect URI: absolute, `https` (or plain `http` only to this machine, for
/// development and native apps: `localhost`, `127.0.0.1`, `[::1]`), without a fragment or user
/// information (RFC 6749 §3.1.2), kept exactly as registered: matching is by string equality.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Checks a redirect URI being registered; the reason for a refusal is written for the
    /// administrator.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let refuse = |reason: &str| DomainError::InvalidInput {
            field: "redirect URI",
            reason: reason.into(),
        };
        if text.len() > REDIRECT_URI_MAX_BYTES {
            return Err(refuse("is too long"));
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("contains spaces or control characters"));
        }
        let url = url::Url::parse(text).map_err(|_| refuse("is not an absolute URL"))?;
        if url.fragment().is_some() || text.contains('#') {
            return Err(refuse("must not have a fragment (#…)"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry a user name or password"));
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(refuse("has no host")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(refuse("must use https (plain http only to localhost)")),
            _ => return Err(refuse("must be an https URL")),
        }
        Ok(Self(text.to_owned()))
    }

    /// A URI as stored (checked when it was registered).
    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The URI, exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's `redirect_uri` is this one: exact string equality (no case folding,
    /// no trailing-slash or query tolerance, RFC 9700 §2.1).
    pub fn matches(&self, requested: &str) -> bool {
        self.0 == requested
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_registered_as_written() {
        for ok in [
            "https://wiki.example.org/oauth/callback",
            "https://grafana.example.org/login/generic_oauth?x=1",
            "http://localhost:8080/callback",
            "http://127.0.0.1:53117/cb",
            "http://[::1]/cb",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for (bad, why) in [
            ("http://wiki.example.org/cb", "https"),
            ("https://wiki.example.org/cb#frag", "fragment"),
            ("https://user:pw@wiki.example.org/cb", "user name"),
            ("/relative/cb", "absolute"),
            ("javascript:alert(1)", "host"),
            ("ftp://example.org/cb", "https"),
            ("https://wiki.example.org/c b", "spaces"),
            ("https://wiki.example.org/cb\r\nX: y", "control"),
        ] {
            let error = RedirectUri::parse(bad).unwrap_err().to_string();
            assert!(error.contains(why), "{bad}: {error}");
        }
        let long = format!("https://example.org/{}", "a".repeat(REDIRECT_URI_MAX_BYTES));
        assert!(RedirectUri::parse(&long).is_err());
    }

    #[test]
    fn matching_is_exact() {
        let uri = RedirectUri::parse("https://wiki.example.org/cb").unwrap();
        assert!(uri.matches("https://wiki.example.org/cb"));
        for other in [
            "https://wiki.example.org/cb/",
            "https://WIKI.example.org/cb",
            "https://wiki.example.org/cb?x=1",
            "https://wiki.example.org:443/cb",
            "https://wiki.example.org/CB",
            "https://wiki.example.org/cb#x",
            "https://wiki.example.org.evil.test/cb",
        ] {
            assert!(!uri.matches(other), "{other}");
        }
    }
}
