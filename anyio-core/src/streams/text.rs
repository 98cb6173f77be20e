//! A UTF-8 text stream over a byte stream.
