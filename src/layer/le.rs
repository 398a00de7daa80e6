//! Vectors of numbers stored as one block of little-endian bytes (`#[serde(with = "le")]`):
//! serde's own `Vec` goes through one visitor call per element, a block decodes in one pass —
//! what makes the columns of a million rows quick to read back from the cache.

use std::marker::PhantomData;

use serde::de::{Error, Visitor};
use serde::{Deserializer, Serializer};

/// A number with a fixed-size little-endian form.
pub trait Number: Copy {
    /// Its size in bytes.
    const SIZE: usize;
    /// Appends its bytes.
    fn put(self, out: &mut Vec<u8>);
    /// Reads it from exactly [`Number::SIZE`] bytes.
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! number {
    ($($t:ty),*) => {
        $(impl Number for $t {
            const SIZE: usize = std::mem::size_of::<$t>();

            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn get(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
        })*
    };
}

number!(i8, i16, i32, i64, u8, u16, u32, u64, f64);

/// Writes the numbers as one block of bytes.
///
/// # Errors
/// When the serializer fails.
pub fn serialize<T: Number, S: Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    let mut bytes = Vec::with_capacity(values.len() * T::SIZE);
    for v in values {
        v.put(&mut bytes);
    }
    s.serialize_bytes(&bytes)
}

/// Reads numbers written by [`serialize`].
///
/// # Errors
/// When the block is not a whole number of values.
pub fn deserialize<'de, T: Number, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct Block<T>(PhantomData<T>);

    impl<T: Number> Visitor<'_> for Block<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "a block of {}-byte little-endian numbers", T::SIZE)
        }

        fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Vec<T>, E> {
            if bytes.len() % T::SIZE != 0 {
                return Err(E::invalid_length(bytes.len(), &self));
            }
            Ok(bytes.chunks_exact(T::SIZE).map(T::get).collect())
        }
    }

    d.deserialize_bytes(Block(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Columns {
        #[serde(with = "super")]
        floats: Vec<f64>,
        #[serde(with = "super")]
        small: Vec<i16>,
        #[serde(with = "super")]
        bytes: Vec<u8>,
    }

    #[test]
    fn blocks_round_trip_exactly() {
        let c = Columns {
            floats: vec![0.1, -0.0, f64::NAN, 1e300, f64::MIN_POSITIVE],
            small: vec![i16::MIN, -1, 0, i16::MAX],
            bytes: (0..=255).collect(),
        };
        let encoded = bincode::serialize(&c).unwrap();
        assert_eq!(encoded.len(), 3 * 8 + 5 * 8 + 4 * 2 + 256);
        let back: Columns = bincode::deserialize(&encoded).unwrap();
        assert_eq!(back.small, c.small);
        assert_eq!(back.bytes, c.bytes);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.floats), bits(&c.floats));
        // A block cut inside a value is refused.
        let cut = bincode::serialize(&vec![0u8; 7]).unwrap();
        assert!(bincode::deserialize::<Columns>(&cut).is_err());
    }
}
