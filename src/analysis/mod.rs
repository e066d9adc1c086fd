//! Analysis of structures: periodic neighbour searches and the coordination
//! report of `sacsim inspect`.

pub mod detect;
pub mod evaluate;
pub mod identity;
pub mod inspect;
pub mod neighbors;
pub mod pairstats;
pub mod profile;
pub mod spatial;
