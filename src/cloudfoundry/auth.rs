//! Who the client is to the API: the bearer token every v3 request carries (docs/v3
//! `concepts/_authentication`: "Tokens can be obtained from the Cloud Foundry UAA server").
//!
//! With a user and password (cloud.gov service accounts), the token comes from UAA's password grant made as
//! the cf CLI makes it: the API's root document (`GET /`) links the login server (`links.login`, else
//! `links.uaa`), and `POST <login>/oauth/token` with `grant_type=password`, the user and password, and HTTP
//! basic authentication of client `cf` with an empty secret. When the API answers 401 the token is fetched
//! again, once per request. A token given directly (`CF_TOKEN`) is used as it is and cannot be renewed.
//! No token or password is ever formatted: [`Secret`] redacts itself, and so does [`Tokens`].

use hyper::Method;
use serde::Deserialize;

use super::transport::{Payload, encode};
use super::{CfError, CloudFoundry, Credentials, Root, Secret};

/// The OAuth client the cf CLI uses for the password grant, with its empty secret.
pub const CF_CLIENT: (&str, &str) = ("cf", "");

/// The token the client holds, and how it gets another.
pub struct Tokens {
    credentials: Credentials,
    current: tokio::sync::Mutex<Option<Secret>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = match self.current.try_lock() {
            Ok(token) if token.is_some() => "[redacted]",
            Ok(_) => "none yet",
            Err(_) => "being fetched",
        };
        // The credentials show in the client's settings already.
        f.debug_struct("Tokens").field("token", &held).finish()
    }
}

impl Tokens {
    /// Tokens for `credentials`: a given token is held from the start.
    pub(crate) fn new(credentials: &Credentials) -> Tokens {
        let current = match credentials {
            Credentials::Token(token) => Some(token.clone()),
            Credentials::Password { .. } => None,
        };
        Tokens { credentials: credentials.clone(), current: tokio::sync::Mutex::new(current) }
    }
}

/// UAA's answer to a token request. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    token_type: Option<String>,
}

impl CloudFoundry {
    /// The API's root document (`GET /`, docs/v3 `root/_global_root`), which needs no token.
    pub async fn root(&self) -> Result<Root, CfError> {
        let url = format!("{}/", self.settings.api_url);
        self.send_open(Method::GET, &url, Payload::Empty, None, &[]).await?.decode()
    }

    /// The token to send: the one held, or a new one.
    pub(crate) async fn token(&self) -> Result<Secret, CfError> {
        let mut current = self.tokens.current.lock().await;
        if let Some(token) = &*current {
            return Ok(token.clone());
        }
        // Boxed: fetching a token sends requests, which ask for the token (the types recurse, the calls do not).
        let token = Box::pin(self.fetch_token()).await?;
        *current = Some(token.clone());
        Ok(token)
    }

    /// A new token in place of `stale`, which the API refused; `None` when the token was given directly
    /// and cannot be renewed. If another request already renewed it, that token.
    pub(crate) async fn renew_token(&self, stale: &Secret) -> Result<Option<Secret>, CfError> {
        if matches!(self.tokens.credentials, Credentials::Token(_)) {
            return Ok(None);
        }
        let mut current = self.tokens.current.lock().await;
        if let Some(token) = &*current
            && token != stale
        {
            return Ok(Some(token.clone()));
        }
        *current = None;
        // Boxed: fetching a token sends requests, which ask for the token (the types recurse, the calls do not).
        let token = Box::pin(self.fetch_token()).await?;
        *current = Some(token.clone());
        Ok(Some(token))
    }

    /// The password grant at the login server the root document links.
    async fn fetch_token(&self) -> Result<Secret, CfError> {
        let Credentials::Password { username, password } = &self.tokens.credentials else {
            unreachable!("a given token is held from the start and never fetched");
        };
        let root = self.root().await?;
        let Some(login) = root.links.login.or(root.links.uaa) else {
            return Err(CfError::Decode {
                method: "GET".into(),
                url: format!("{}/", self.settings.api_url),
                reason: "the root document links no login (or uaa) server to get a token from".into(),
            });
        };
        let url = format!("{}/oauth/token", login.href.trim_end_matches('/'));
        let form = format!("grant_type=password&username={}&password={}", encode(username), encode(password.expose()));
        let answer =
            self.send_open(Method::POST, &url, Payload::Form(form), Some(basic(CF_CLIENT)), &[password]).await?;
        // Never let a decoding error quote the answer: it holds the token.
        let token: TokenAnswer = serde_json::from_slice(&answer.body)
            .map_err(|_| answer.error("the token endpoint's answer is not the JSON OAuth 2 documents".into()))?;
        if token.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(answer.error("the token endpoint gave a token that is not a bearer token".into()));
        }
        match token.access_token {
            Some(value) if !value.is_empty() => Ok(Secret::new(value)),
            _ => Err(answer.error("the token endpoint's answer has no access_token".into())),
        }
    }
}

/// The `Authorization` header of HTTP basic authentication (RFC 7617) for `(user, password)`.
pub fn basic((user, password): (&str, &str)) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in input.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authentication_is_base64() {
        assert_eq!(basic(CF_CLIENT), "Basic Y2Y6");
        assert_eq!(basic(("Aladdin", "open sesame")), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic(("ab", "")), "Basic YWI6");
    }

    #[test]
    fn debug_redacts_passwords_and_tokens() {
        let tokens = Tokens::new(&Credentials::Token(Secret::new("s3cr3t-token")));
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        let password = Credentials::Password { username: "deployer".into(), password: Secret::new("hunter2") };
        assert_eq!(format!("{:?}", Tokens::new(&password)), r#"Tokens { token: "none yet" }"#);
        assert_eq!(format!("{password:?}"), r#"Password { username: "deployer", password: [redacted] }"#);
    }
}
