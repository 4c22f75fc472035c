//! End-to-end tests live in `e2e/`; this library target is empty on purpose.
