//! `Deserialize` that runs the constructor's checks: trust nothing loaded.
//!
//! A type derives its serde code with `#[serde(remote = "Self")]`, which generates the field
//! by field (de)serializer as inherent functions without implementing the traits; then
//! `checked_serde!(Type, check)` implements `Serialize` with them and `Deserialize` as "load
//! the fields, then run `check`", so a hand-edited or truncated document becomes a typed
//! error naming what is wrong, never a value that panics or lies later.

/// Implements `Serialize` and a checked `Deserialize` for a type whose serde derives carry
/// `#[serde(remote = "Self")]`; `$check` is a `fn(&Type) -> crate::Result<()>`.
macro_rules! checked_serde {
    ($ty:ident $(<$($g:ident),+>)?, $check:expr $(, where $($bound:tt)+)?) => {
        #[cfg(feature = "serde")]
        impl$(<$($g),+>)? serde::Serialize for $ty$(<$($g),+>)?
        $(where $($bound)+)?
        {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                $ty::serialize(self, serializer)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de $(, $($g),+)?> serde::Deserialize<'de> for $ty$(<$($g),+>)?
        $(where $($bound)+)?
        {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let value = $ty::deserialize(deserializer)?;
                let check: fn(&Self) -> crate::error::Result<()> = $check;
                check(&value).map_err(serde::de::Error::custom)?;
                Ok(value)
            }
        }

        // Without serde the check still documents the type's invariants; keep it referenced.
        #[cfg(not(feature = "serde"))]
        const _: () = {
            #[allow(dead_code)]
            fn unused$(<$($g),+>)?() $(where $($bound)+)? {
                let _check: fn(&$ty$(<$($g),+>)?) -> crate::error::Result<()> = $check;
            }
        };
    };
}
