//! jiesu (接诉): a rules server for China's 12345 government-service hotlines.
//!
//! Dependencies point inwards: `http` → `service` → (`policy`, `store`, `audit`, `calendar`)
//! → `domain`. `domain` and `calendar` know nothing of Rhai, SQL or HTTP.

pub mod audit;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod domain;
pub mod fuzzing;
pub mod http;
pub mod policy;
pub mod service;
pub mod store;
