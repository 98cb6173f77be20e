//! UDP sockets, unconnected and connected.
