//! UDP on the backend in use.
