//! Unix stream sockets and listeners.
