//! HAADF-STEM imaging: probe optics, detector-integrated cross sections,
//! the incoherent image model, noise and scan artefacts.

pub mod fft;
pub mod optics;
pub mod probe;
pub mod scattering;
