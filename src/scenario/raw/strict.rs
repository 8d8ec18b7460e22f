//! Integers as the API server takes them: a YAML/JSON number, never a string (`replicas: "3"`
//! is refused as kubectl's schema validation refuses it), within the field's range.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::marker::PhantomData;

/// An integer field's value, typed strictly.
pub struct Strict<T>(pub T);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for V<T> {
            type Value = Strict<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Strict<T>, E> {
                T::try_from(v).map(Strict).map_err(|_| E::custom(format!("invalid {}", std::any::type_name::<T>())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Strict<T>, E> {
                T::try_from(v).map(Strict).map_err(|_| E::custom(format!("invalid {}", std::any::type_name::<T>())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Strict<T>, E> {
                // A whole number written with an exponent (1e3) is still a number: range-checked.
                if v.fract() == 0.0 && v.abs() < 9.2e18 {
                    return self.visit_i64(v as i64);
                }
                Err(E::custom(format!("invalid type: got number {v}, expected \"integer\"")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Strict<T>, E> {
                Err(E::custom(format!(
                    "invalid type: got \"string\" ({v:?}), expected \"integer\" (write the number without quotes)"
                )))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Strict<T>, E> {
                Err(E::custom(format!("invalid type: got \"boolean\" ({v}), expected \"integer\"")))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn unspan<T>(s: Spanned<Strict<T>>) -> Spanned<T> {
    Spanned::new(s.value.0, s.referenced, s.defined)
}

/// `#[serde(deserialize_with = "strict::sp")]` for a `Spanned<int>` field.
pub fn sp<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(d: D) -> Result<Spanned<T>, D::Error> {
    Spanned::<Strict<T>>::deserialize(d).map(unspan)
}

/// `#[serde(default, deserialize_with = "strict::opt_sp")]` for an `Option<Spanned<int>>` field.
pub fn opt_sp<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(d: D) -> Result<Option<Spanned<T>>, D::Error> {
    Option::<Spanned<Strict<T>>>::deserialize(d).map(|o| o.map(unspan))
}

/// `#[serde(default, deserialize_with = "strict::opt")]` for an `Option<int>` field.
pub fn opt<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Strict<T>>::deserialize(d).map(|o| o.map(|s| s.0))
}
