//! The Docker/Compose driver on a real engine.

pub mod engine;
