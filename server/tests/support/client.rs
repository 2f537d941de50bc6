//! Requests as the hydrated pages (and plain HTML forms, JavaScript off) send them, and readers
//! for what the answers carry. One set of builders for both kinds of test: the in-process tests
//! [`send`] them to the real router; the tests and benches that run `mayi-id` as a process send
//! the very same requests over TCP ([`super::remote::Remote::send`]).

use axum::{
    body::Body,
    http::{header, request::Builder, HeaderMap, Request, Response, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The public URL the in-process router is configured with (forms are posted from its pages).
pub const PUBLIC_URL: &str = "http://127.0.0.1:3000";

const FORM: &str = "application/x-www-form-urlencoded";

/// `builder` with the browser's cookies, if it has any (no `Cookie` header otherwise).
fn with_cookie(builder: Builder, cookie: &str) -> Builder {
    if cookie.is_empty() {
        builder
    } else {
        builder.header(header::COOKIE, cookie)
    }
}

/// A plain GET, no headers.
pub fn get(uri: &str) -> Request<String> {
    Request::get(uri).body(String::new()).unwrap()
}

/// A page as the browser asks for it (HTML), with its cookies.
pub fn page(uri: &str, cookie: &str) -> Request<String> {
    with_cookie(
        Request::get(uri).header(header::ACCEPT, "text/html"),
        cookie,
    )
    .body(String::new())
    .unwrap()
}

/// A server function call with the browser's cookies, as the hydrated page makes it.
pub fn post(uri: &str, form: &str, cookie: &str) -> Request<String> {
    with_cookie(
        Request::post(uri)
            .header(header::CONTENT_TYPE, FORM)
            .header(header::ACCEPT, "application/json"),
        cookie,
    )
    .body(form.to_string())
    .unwrap()
}

/// The same as a plain HTML form post (JavaScript off) from the page at `from` (a path).
pub fn form_post(uri: &str, form: &str, cookie: &str, from: &str) -> Request<String> {
    with_cookie(
        Request::post(uri)
            .header(header::CONTENT_TYPE, FORM)
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, format!("{PUBLIC_URL}{from}")),
        cookie,
    )
    .body(form.to_string())
    .unwrap()
}

/// Sign-in step 1: the username and password.
pub fn sign_in(username: &str, password: &str) -> Request<String> {
    let form = format!(
        "username={}&password={}",
        urlencode(username),
        urlencode(password)
    );
    post("/api/sign_in", &form, "")
}

/// Sign-in step 2 with an authenticator app's code, on the attempt `attempt` (its cookie).
pub fn verify_totp(attempt: &str, token_id: i64, code: &str) -> Request<String> {
    let form = format!("token_id={token_id}&kind=totp&code={code}");
    post("/api/verify_code", &form, attempt)
}

/// `request` as if it came over a TCP connection from `peer` (the server's `ConnectInfo`;
/// without it, as in plain `oneshot` calls, a request has no client address at all).
pub fn from_peer<B>(mut request: Request<B>, peer: &str) -> Request<B> {
    let address = std::net::SocketAddr::new(peer.parse().unwrap(), 40_000);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(address));
    request
}

/// `request` with one more header line.
pub fn with_header<B>(mut request: Request<B>, name: &'static str, value: &str) -> Request<B> {
    request.headers_mut().append(
        axum::http::HeaderName::from_static(name),
        axum::http::HeaderValue::from_str(value).unwrap(),
    );
    request
}

/// Sends `request` to the router in this process: `(status, headers, body)`.
pub async fn send<B: Into<Body>>(
    router: &Router,
    request: Request<B>,
) -> (StatusCode, HeaderMap, String) {
    let response: Response<Body> = router
        .clone()
        .oneshot(request.map(Into::into))
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// `name=value` of the (non-empty) cookie `name` that the answer sets, if any.
pub fn find_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
        .map(str::to_string)
}

/// `name=value` of the Set-Cookie header for `name`.
pub fn cookie_pair(headers: &HeaderMap, name: &str) -> String {
    find_cookie(headers, name).unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The number after the first `"key":` in a JSON body.
pub fn json_number(body: &str, key: &str) -> i64 {
    body.split(&format!("\"{key}\":"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .split([',', '}'])
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The string after the first `"key":"` in a JSON body.
pub fn json_text(body: &str, key: &str) -> String {
    body.split(&format!("\"{key}\":\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The first token id in a `pending_sign_in` answer.
pub fn first_token_id(pending: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(pending).unwrap();
    value["tokens"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no token in {pending}"))
}
