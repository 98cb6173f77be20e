//! Unix sockets on the backend in use.
