//! Who is calling. Until per-role tokens arrive, the rule is:
//! - with `JIESU_ADMIN_TOKEN` set, every API request must carry it as a bearer token;
//! - without it, only callers on the loopback interface are served (a developer's machine);
//!   anyone else gets 401. Health checks are always open.

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;

#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// sha256 of the bootstrap admin token.
    admin_token_digest: Option<[u8; 32]>,
}

impl AuthConfig {
    pub fn new(admin_token: Option<&str>) -> Self {
        Self {
            admin_token_digest: admin_token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    fn is_admin_token(&self, presented: &str) -> bool {
        self.admin_token_digest.is_some_and(|expected| {
            let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
            bool::from(digest.ct_eq(&expected))
        })
    }
}

/// The authenticated caller, named in the trail.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn identify(req: &HttpRequest) -> Result<Caller, ApiError> {
    let config = req
        .app_data::<web::Data<AuthConfig>>()
        .map(|c| c.get_ref().clone())
        .unwrap_or_default();
    let header = req.headers().get(AUTHORIZATION);
    if let Some(value) = header {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("invalid_token", "use `Authorization: Bearer <token>`"))?;
        return if config.is_admin_token(token) {
            Ok(Caller {
                name: "admin".into(),
            })
        } else {
            Err(unauthorized(
                "invalid_token",
                "the bearer token is not valid",
            ))
        };
    }
    if config.admin_token_digest.is_some() {
        return Err(unauthorized(
            "missing_token",
            "this server requires a bearer token",
        ));
    }
    match req.peer_addr() {
        Some(peer) if peer.ip().is_loopback() => Ok(Caller {
            name: format!("local:{}", peer.ip()),
        }),
        _ => Err(unauthorized(
            "missing_token",
            "without JIESU_ADMIN_TOKEN this server serves loopback callers only",
        )),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identify(req))
    }
}
