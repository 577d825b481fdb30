//! Who is calling, from the bearer token (the auditor's pages also know their own session
//! cookie, `session.rs`; the API never accepts it):
//! - a `[[tokens]]` entry of the config file (only its sha256 is kept; compared in constant
//!   time) gives its role and scopes;
//! - `JIESU_ADMIN_TOKEN` is a bootstrap admin;
//! - with no token configured at all and `serve --dev`, loopback callers are admin (a
//!   developer's machine) and anyone else gets 401; a server without an auth configuration
//!   answers nobody.
//!
//! Health checks are always open.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::domain::{Capability, Principal};

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// sha256 of each accepted token, with whom it authenticates.
    tokens: Arc<Vec<([u8; 32], Principal)>>,
    /// `serve --dev` with no token: loopback callers are admin.
    loopback_admin: bool,
}

impl AuthConfig {
    pub fn new(
        admin_token: Option<&str>,
        tokens: Vec<([u8; 32], Principal)>,
        loopback_admin: bool,
    ) -> Self {
        let mut all = tokens;
        if let Some(admin) = admin_token {
            all.push((
                Sha256::digest(admin.as_bytes()).into(),
                Principal::admin("admin"),
            ));
        }
        Self {
            loopback_admin: loopback_admin && all.is_empty(),
            tokens: Arc::new(all),
        }
    }

    /// Every digest is compared, so the time taken does not say which token came close.
    pub(super) fn principal_for(&self, presented: &str) -> Option<Principal> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (expected, principal) in self.tokens.iter() {
            if bool::from(digest.ct_eq(expected)) {
                found = Some(principal.clone());
            }
        }
        found
    }

    fn any_configured(&self) -> bool {
        !self.tokens.is_empty()
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// 403 unless the caller's role has this capability.
    pub fn require(&self, capability: Capability) -> Result<&Principal, ApiError> {
        if self.0.may(capability) {
            Ok(&self.0)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "a `{}` token may not do this (see README, \"Who may call\")",
                    self.0.role.as_str()
                ),
            ))
        }
    }
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// The token a request presents in its bearer header. Cookies are never read here: a
/// cookie rides along on requests another site makes the browser send.
pub fn presented_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| Some(t.trim().to_owned()))
        .ok_or_else(|| unauthorized("invalid_token", "use `Authorization: Bearer <token>`"))
}

pub fn identify(req: &HttpRequest) -> Result<Caller, ApiError> {
    // Fail closed: a server wired without its auth configuration lets nobody in.
    let Some(config) = req.app_data::<web::Data<AuthConfig>>() else {
        return Err(unauthorized(
            "missing_token",
            "this server has no authentication configured, so it answers nobody",
        ));
    };
    if let Some(token) = presented_token(req)? {
        return config
            .principal_for(&token)
            .map(Caller)
            .ok_or_else(|| unauthorized("invalid_token", "the bearer token is not valid"));
    }
    if config.any_configured() {
        return Err(unauthorized(
            "missing_token",
            "this server requires a bearer token",
        ));
    }
    match req.peer_addr() {
        // A page on another site can make the developer's browser post to loopback; the
        // browser says where it came from, and only the machine's own pages pass.
        Some(_) if config.loopback_admin && cross_site(req) => Err(unauthorized(
            "missing_token",
            "a cross-site request to a --dev server: send a bearer token",
        )),
        Some(peer) if config.loopback_admin && peer.ip().is_loopback() => {
            Ok(Caller(Principal::admin(format!("local:{}", peer.ip()))))
        }
        _ => Err(unauthorized(
            "missing_token",
            "no token is configured, so this server serves loopback callers only",
        )),
    }
}

/// Whether the request says it comes from a page not served by this machine.
fn cross_site(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return false;
    };
    let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    !matches!(host, "127.0.0.1" | "localhost" | "::1")
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identify(req))
    }
}
