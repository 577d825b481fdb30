//! The auditor's pages keep a person logged in by an opaque session id: the cookie never
//! holds the token, the API never accepts the cookie, every form carries a CSRF token, and
//! logins are rate-limited per address.
//!
//! Sessions live in this process: behind a load balancer with several instances, pin the
//! pages to one instance (or log in again); the API, with bearer tokens, needs no pinning.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use subtle::ConstantTimeEq;

use crate::domain::Principal;

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "jiesu_session";
/// The cookie of the double-submitted CSRF token of the login form (no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "jiesu_login_csrf";
/// How long a session lasts from its login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Sessions held at most; the oldest go first.
const MAX_SESSIONS: usize = 10_000;
/// Login attempts per address per minute.
pub const LOGINS_PER_MINUTE: u32 = 10;

/// 32 random bytes, hex: a session id or a CSRF token.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    started: Instant,
}

pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    logins: DefaultKeyedRateLimiter<IpAddr>,
    /// Set the cookies `Secure` (the pages are served over TLS).
    pub secure: bool,
}

impl Sessions {
    pub fn new(secure: bool) -> Self {
        let per_minute = NonZeroU32::new(LOGINS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Self {
            live: Mutex::default(),
            logins: RateLimiter::keyed(Quota::per_minute(per_minute)),
            secure,
        }
    }

    /// Whether `address` may try a login now.
    pub fn may_try_login(&self, address: IpAddr) -> bool {
        self.logins.check_key(&address).is_ok()
    }

    /// A new session for `principal`: its id and CSRF token.
    pub fn start(&self, principal: Principal) -> Option<(String, String)> {
        let id = random_token()?;
        let csrf = random_token()?;
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.retain(|_, s| s.started.elapsed() < SESSION_TTL);
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live
                .iter()
                .min_by_key(|(_, s)| s.started)
                .map(|(id, _)| id.clone())
        {
            live.remove(&oldest);
        }
        live.insert(
            id.clone(),
            Session {
                principal,
                csrf: csrf.clone(),
                started: Instant::now(),
            },
        );
        Some((id, csrf))
    }

    /// The live session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(id)
            .filter(|s| s.started.elapsed() < SESSION_TTL)
            .cloned()
    }

    pub fn end(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_opaque_and_logins_limited() {
        let sessions = Sessions::new(false);
        let (id, csrf) = sessions.start(Principal::admin("a")).unwrap();
        assert_eq!(id.len(), 64);
        assert!(!id.contains('a') || id != "admin");
        assert_eq!(sessions.get(&id).unwrap().csrf, csrf);
        sessions.end(&id);
        assert!(sessions.get(&id).is_none());
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let tries = (0..20).filter(|_| sessions.may_try_login(here)).count();
        assert_eq!(tries, LOGINS_PER_MINUTE as usize);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
