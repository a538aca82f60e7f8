//! A nullable `X509Certificate` parameter that can default to `null` in GDScript
//! (`#[opt(default)]` only takes immutable value types, so the Option gets a thin newtype).

use godot::classes::X509Certificate;
use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::GodotShape;
use godot::meta::{FromGodot, GodotConvert, GodotImmutable, ToGodot};
use godot::obj::Gd;

/// `X509Certificate` or `null`.
#[derive(Debug, Clone, Default)]
pub struct OptionalCertificate(pub Option<Gd<X509Certificate>>);

impl GodotConvert for OptionalCertificate {
    type Via = Option<Gd<X509Certificate>>;

    fn godot_shape() -> GodotShape {
        <Option<Gd<X509Certificate>> as GodotConvert>::godot_shape()
    }
}

impl ToGodot for OptionalCertificate {
    type Pass = ByValue;

    fn to_godot(&self) -> Self::Via {
        self.0.clone()
    }
}

impl FromGodot for OptionalCertificate {
    fn try_from_godot(via: Self::Via) -> Result<Self, ConvertError> {
        Ok(OptionalCertificate(via))
    }
}

// SAFETY: the only default value used is `OptionalCertificate(None)`, i.e. `null`, which has no
// shared mutable state; a non-null default would share one object, which we never create.
unsafe impl GodotImmutable for OptionalCertificate {}
