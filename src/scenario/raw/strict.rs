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

/// A string field's value, typed strictly: a number or boolean where the API wants a string
/// (`port: 8080` under a ConfigMap's `data`) is refused, as the API server's decoder refuses it.
pub struct StrictString(pub String);

impl<'de> Deserialize<'de> for StrictString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrictString, E> {
                Ok(StrictString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<StrictString, E> {
                Ok(StrictString(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrictString, E> {
                Err(E::custom(format!("invalid type: got number {v}, expected \"string\" (quote it: \"{v}\")")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrictString, E> {
                self.visit_i64(v as i64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictString, E> {
                Err(E::custom(format!("invalid type: got number {v}, expected \"string\" (quote it: \"{v}\")")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<StrictString, E> {
                Err(E::custom(format!("invalid type: got \"boolean\" ({v}), expected \"string\" (quote it: \"{v}\")")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StrictString, E> {
                Err(E::custom("invalid type: got null, expected \"string\" (quote it: \"\")"))
            }
        }
        d.deserialize_any(V)
    }
}

/// `#[serde(default, deserialize_with = "strict::string_map")]`: a map of strict strings.
pub fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::collections::BTreeMap<String, Spanned<String>>>, D::Error> {
    let m = Option::<std::collections::BTreeMap<String, Spanned<StrictString>>>::deserialize(d)?;
    Ok(m.map(|m| m.into_iter().map(|(k, v)| (k, Spanned::new(v.value.0, v.referenced, v.defined))).collect()))
}
