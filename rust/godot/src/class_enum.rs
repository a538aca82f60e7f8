//! Class enums (`OpenSSLPacketPeerDTLS.Status`, `OpenSSLDTLSServer.ClientCertificateMode`,
//! `OpenSSLDTLSCertificates.KeyType`): one macro declares each as the Rust type of a parameter or
//! return value that Godot's class reference and GDScript see as the enum, and [`register`] adds
//! its constants to the class once the class exists.

use godot::meta::shape::EnumeratorShape;
use godot::meta::ClassId;
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};

/// Registers enum `name` with `enumerators` as constants of the class `class`.
pub fn register(class: ClassId, name: &str, enumerators: &[EnumeratorShape]) {
    let enumerators = enumerators
        .iter()
        .map(|e| IntegerConstant::new(&e.name, e.value.unwrap_or_default()))
        .collect();
    ExportConstant::new(
        class,
        ConstantKind::Enum {
            name: name.into(),
            enumerators,
        },
    )
    .register();
}

/// Declares `struct $ty(pub i64)`, a value of the class enum `$class.$name` with the constants
/// given. Any integer converts (GDScript may pass one that is not a constant): the method that
/// takes it refuses unknown values with its own message.
macro_rules! class_enum {
    ($(#[$meta:meta])* $vis:vis struct $ty:ident = $class:literal . $name:literal {
        $($constant:ident = $value:literal),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis struct $ty(pub i64);

        #[allow(dead_code)]
        impl $ty {
            $(pub const $constant: $ty = $ty($value);)*
            /// The constants, as Godot's class reference lists them.
            pub const ENUMERATORS: &'static [godot::meta::shape::EnumeratorShape] =
                &[$(godot::meta::shape::EnumeratorShape::new_int(stringify!($constant), $value)),*];

            /// Registers the enum's constants on its class (call once the class exists).
            pub fn register(class: godot::meta::ClassId) {
                crate::class_enum::register(class, $name, Self::ENUMERATORS);
            }
        }

        impl godot::meta::GodotConvert for $ty {
            type Via = i64;

            fn godot_shape() -> godot::meta::shape::GodotShape {
                godot::meta::shape::GodotShape::Enum {
                    variant_type: godot::builtin::VariantType::INT,
                    enumerators: std::borrow::Cow::Borrowed(Self::ENUMERATORS),
                    godot_name: Some(std::borrow::Cow::Borrowed(concat!($class, ".", $name))),
                    is_bitfield: false,
                }
            }
        }

        // SAFETY: a `Copy` newtype of an `i64`: no interior mutability, clones are independent,
        // so it is a valid `#[opt(default = ...)]` value.
        unsafe impl godot::meta::GodotImmutable for $ty {}

        impl godot::meta::ToGodot for $ty {
            type Pass = godot::meta::conv::ByValue;

            fn to_godot(&self) -> i64 {
                self.0
            }
        }

        impl godot::meta::FromGodot for $ty {
            fn try_from_godot(via: i64) -> Result<Self, godot::meta::error::ConvertError> {
                Ok($ty(via))
            }
        }
    };
}

pub(crate) use class_enum;
