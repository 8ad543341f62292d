//! Releases advance on evidence: alarms watched through a bake (and an alarm that rolls the environment
//! back), soak on a promotion edge, allow and deny windows in named time zones, and drift found on a
//! schedule. The rules are tried without a cloud on a fixed clock; the bake, the rollback it causes and
//! the soak after it are walked on moto.

mod check;
mod policy;
pub(crate) mod walk;
