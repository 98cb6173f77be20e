//! Separate send and receive halves as one stream.
