//! Who is asking: the client address (behind trusted proxies), user agent and remembered
//! browser of a request.

use super::*;

/// The client's address of the request, worked out once per request by the server's middleware
/// from the socket peer and, behind a trusted proxy, its forwarding headers. Read by [`client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// A trusted reverse proxy: one address (`10.0.0.7`, `::1`) or a network (`10.0.0.0/8`,
/// `2001:db8::/32`). An IPv4-mapped IPv6 address (`::ffff:10.0.0.7`) counts as its IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: std::net::IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Parses `address` or `address/prefix-length`; the reason it is refused otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= bits => prefix,
                _ => {
                    return Err(format!(
                        "{prefix:?} is not a prefix length from 0 to {bits}"
                    ))
                }
            },
        };
        // `::ffff:a.b.c.d/n` (n >= 96) is the IPv4 network `a.b.c.d/(n - 96)`.
        let (network, prefix) = match network {
            std::net::IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (std::net::IpAddr::V4(v4), prefix - 96),
                None => (network, prefix),
            },
            _ => (network, prefix),
        };
        Ok(Self { network, prefix })
    }

    /// Whether `address` is this proxy or in its network.
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }

    /// Whether any of `proxies` is `address` or holds it.
    pub fn any_contains(proxies: &[TrustedProxy], address: std::net::IpAddr) -> bool {
        proxies.iter().any(|proxy| proxy.contains(address))
    }
}

impl std::fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client's address and browser, recorded with sessions and audit events and counted by
/// the rate limits, and the token of its "remembered browser" cookie if it sent one.
pub fn client() -> identity::Client {
    let mut client = match request_parts() {
        Some(parts) => client_of(&parts.extensions, &parts.headers),
        None => identity::Client::default(),
    };
    if let Some(state) = use_context::<AppState>() {
        client.browser = cookie_token(browser_cookie(&state.settings));
    }
    client
}

/// The client of a request from its extensions and headers: the address is the server
/// middleware's [`ClientAddress`] (the socket peer, or behind a trusted proxy the address it
/// forwarded), else the socket peer; forwarding headers are never read here.
pub fn client_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
) -> identity::Client {
    let ip = extensions
        .get::<ClientAddress>()
        .map(|address| address.0)
        .or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .map(|ip| ip.to_string());
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    identity::Client {
        ip,
        user_agent: agent,
        browser: None,
    }
}

/// A short name for a browser from its user agent: "Firefox on Android", "Safari on iPhone".
pub fn browser_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return tr!(tokens.unknown_browser).to_string();
    };
    let browser = if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        return tr!(tokens.unknown_browser).to_string();
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iPhone"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.to_string();
    };
    tr!(tokens.browser_on_system, browser = browser, system = system).to_string()
}

#[cfg(test)]
mod browser_tests {
    use super::browser_name;

    #[test]
    fn names_common_browsers() {
        assert_eq!(
            browser_name(Some("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36")),
            "Chrome on Android"
        );
        assert_eq!(
            browser_name(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
            )),
            "Firefox on Linux"
        );
        assert_eq!(
            browser_name(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")),
            "Safari on iPhone"
        );
        assert_eq!(browser_name(None), "Unknown browser");
        assert_eq!(browser_name(Some("curl/8.0")), "Unknown browser");
    }
}
