//! A nullable object parameter that can default to `null` in GDScript (`#[opt(default)]` only
//! takes immutable value types, so the Option gets a thin newtype).

use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::GodotShape;
use godot::meta::{FromGodot, GodotConvert, GodotImmutable, ToGodot};
use godot::obj::{Gd, GodotClass};

/// An object of class `T` or `null`; `Nullable(None)` is the only default value used.
#[derive(Debug)]
pub struct Nullable<T: GodotClass>(pub Option<Gd<T>>);

// Manual: a derive would require `T: Clone`, but cloning a `Gd` only takes a reference.
impl<T: GodotClass> Clone for Nullable<T> {
    fn clone(&self) -> Self {
        Nullable(self.0.clone())
    }
}

impl<T: GodotClass> Nullable<T> {
    /// `null`.
    pub const NULL: Nullable<T> = Nullable(None);
}

impl<T: GodotClass> GodotConvert for Nullable<T> {
    type Via = Option<Gd<T>>;

    fn godot_shape() -> GodotShape {
        <Option<Gd<T>> as GodotConvert>::godot_shape()
    }
}

impl<T: GodotClass> ToGodot for Nullable<T> {
    type Pass = ByValue;

    fn to_godot(&self) -> Self::Via {
        self.0.clone()
    }
}

impl<T: GodotClass> FromGodot for Nullable<T> {
    fn try_from_godot(via: Self::Via) -> Result<Self, ConvertError> {
        Ok(Nullable(via))
    }
}

// SAFETY: the only default value used is `Nullable(None)`, i.e. `null`, which shares no mutable
// state; a non-null default would share one object, and none is ever created.
unsafe impl<T: GodotClass> GodotImmutable for Nullable<T> {}
