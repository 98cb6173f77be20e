//! A stream's buffer size as it arrives from outside the program, checked into a typed value.
//!
//! [`create_memory_object_stream`](super::create_memory_object_stream) takes a `usize`, so a
//! negative or fractional size cannot reach it. Sizes read from a configuration file, a
//! command line or a port of Python code (AnyIO accepts an integer or `math.inf`) go through
//! [`MaxBufferSize`]'s conversions, which reject what AnyIO rejects with an
//! [`InvalidBufferSize`] that says what to use instead.

use std::error::Error;
use std::fmt;
use std::str::FromStr;

use super::state::UNBOUNDED;
use super::{create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender};

/// How many items a memory object stream buffers: a number (`0` is a rendezvous) or no limit.
///
/// Every `usize` is a valid size (`usize::MAX` means unbounded); `i64`, `f64` and strings are
/// checked, as AnyIO checks its `max_buffer_size`: a whole number of items, 0 or more, or
/// infinity (`f64::INFINITY`, `"inf"`, `"infinity"`).
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::MaxBufferSize;
///
/// let size: MaxBufferSize = "16".parse().unwrap();
/// assert_eq!(size, MaxBufferSize::Bounded(16));
/// assert_eq!(MaxBufferSize::try_from(f64::INFINITY), Ok(MaxBufferSize::Unbounded));
/// assert!(MaxBufferSize::try_from(-1i64).unwrap_err().is_negative());
///
/// let (tx, rx) = size.create::<u32>();
/// tx.try_send(1).unwrap();
/// assert_eq!(rx.statistics().max_buffer_size, Some(16));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxBufferSize {
    /// At most this many items wait in the buffer; `0` makes every send wait for a receiver.
    Bounded(usize),
    /// Sends never wait for room.
    Unbounded,
}

impl MaxBufferSize {
    /// The capacity [`create_memory_object_stream`] takes for this size (`usize::MAX` for
    /// unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert_eq!(MaxBufferSize::Bounded(4).capacity(), 4);
    /// assert_eq!(MaxBufferSize::Unbounded.capacity(), usize::MAX);
    /// ```
    pub fn capacity(self) -> usize {
        match self {
            Self::Bounded(capacity) => capacity,
            Self::Unbounded => UNBOUNDED,
        }
    }

    /// Creates a memory object stream of this size, as
    /// [`create_memory_object_stream`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// let (tx, rx) = MaxBufferSize::Unbounded.create::<u32>();
    /// for i in 0..1000 {
    ///     tx.try_send(i).unwrap();
    /// }
    /// assert_eq!(rx.statistics().max_buffer_size, None);
    /// ```
    pub fn create<T>(self) -> (MemoryObjectSender<T>, MemoryObjectReceiver<T>) {
        create_memory_object_stream(self.capacity())
    }
}

impl From<usize> for MaxBufferSize {
    /// `usize::MAX` is unbounded, as for [`create_memory_object_stream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert_eq!(MaxBufferSize::from(3), MaxBufferSize::Bounded(3));
    /// assert_eq!(MaxBufferSize::from(usize::MAX), MaxBufferSize::Unbounded);
    /// ```
    fn from(capacity: usize) -> Self {
        if capacity == UNBOUNDED {
            Self::Unbounded
        } else {
            Self::Bounded(capacity)
        }
    }
}

impl TryFrom<i64> for MaxBufferSize {
    type Error = InvalidBufferSize;

    /// A size of 0 or more items.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert_eq!(MaxBufferSize::try_from(0i64), Ok(MaxBufferSize::Bounded(0)));
    /// assert!(MaxBufferSize::try_from(-3i64).is_err());
    /// ```
    fn try_from(size: i64) -> Result<Self, InvalidBufferSize> {
        if size < 0 {
            return Err(InvalidBufferSize::new(Problem::Negative, size));
        }
        usize::try_from(size)
            .map(Self::from)
            .map_err(|_| InvalidBufferSize::new(Problem::NotWhole, size))
    }
}

impl TryFrom<f64> for MaxBufferSize {
    type Error = InvalidBufferSize;

    /// A whole number of items, 0 or more, or `f64::INFINITY` (AnyIO's `math.inf`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert_eq!(MaxBufferSize::try_from(8.0), Ok(MaxBufferSize::Bounded(8)));
    /// assert_eq!(MaxBufferSize::try_from(f64::INFINITY), Ok(MaxBufferSize::Unbounded));
    /// assert!(MaxBufferSize::try_from(1.5).is_err());
    /// assert!(MaxBufferSize::try_from(f64::NAN).is_err());
    /// ```
    fn try_from(size: f64) -> Result<Self, InvalidBufferSize> {
        if size < 0.0 {
            return Err(InvalidBufferSize::new(Problem::Negative, size));
        }
        if size == f64::INFINITY {
            return Ok(Self::Unbounded);
        }
        // NaN fails the first test; `usize::MAX as f64` rounds up to 2^64, out of range.
        if !(size.fract() == 0.0 && size < usize::MAX as f64) {
            return Err(InvalidBufferSize::new(Problem::NotWhole, size));
        }
        Ok(Self::Bounded(size as usize))
    }
}

impl FromStr for MaxBufferSize {
    type Err = InvalidBufferSize;

    /// A whole number (`"16"`, also `"16.0"`), or `"inf"` / `"infinity"` in any case.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert_eq!(" 4 ".parse(), Ok(MaxBufferSize::Bounded(4)));
    /// assert_eq!("Infinity".parse(), Ok(MaxBufferSize::Unbounded));
    /// assert!("-1".parse::<MaxBufferSize>().unwrap_err().is_negative());
    /// assert!("four".parse::<MaxBufferSize>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, InvalidBufferSize> {
        let text = text.trim();
        if let Ok(size) = text.parse::<i128>() {
            if size < 0 {
                return Err(InvalidBufferSize::new(Problem::Negative, text));
            }
            return usize::try_from(size)
                .map(Self::from)
                .map_err(|_| InvalidBufferSize::new(Problem::NotWhole, text));
        }
        match text.parse::<f64>() {
            Ok(size) => Self::try_from(size).map_err(|e| InvalidBufferSize {
                given: text.into(),
                ..e
            }),
            Err(_) => Err(InvalidBufferSize::new(Problem::NotWhole, text)),
        }
    }
}

/// What was wrong with a buffer size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    Negative,
    /// A fraction, NaN, something that is no number, or more than `usize::MAX`.
    NotWhole,
}

/// A buffer size that [`MaxBufferSize`]'s conversions rejected: negative, not a whole number
/// of items, or more than a `usize` holds.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::MaxBufferSize;
///
/// let error = MaxBufferSize::try_from(2.5).unwrap_err();
/// assert!(!error.is_negative());
/// assert_eq!(
///     error.to_string(),
///     "max buffer size must be a whole number of items or infinity, got 2.5"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBufferSize {
    problem: Problem,
    given: String,
}

impl InvalidBufferSize {
    fn new(problem: Problem, given: impl fmt::Display) -> Self {
        Self {
            problem,
            given: given.to_string(),
        }
    }

    /// Whether the size was negative (else it was not a whole number, or too large).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::MaxBufferSize;
    ///
    /// assert!(MaxBufferSize::try_from(-1.0).unwrap_err().is_negative());
    /// ```
    pub fn is_negative(&self) -> bool {
        self.problem == Problem::Negative
    }
}

impl fmt::Display for InvalidBufferSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            Problem::Negative => write!(
                f,
                "max buffer size cannot be negative, got {}: use 0 for a stream where each \
                 send waits for a receiver",
                self.given
            ),
            Problem::NotWhole => write!(
                f,
                "max buffer size must be a whole number of items or infinity, got {}",
                self.given
            ),
        }
    }
}

impl Error for InvalidBufferSize {}
