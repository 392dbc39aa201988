//! The rules of the complaint process (process.md), as pure functions and types with no I/O:
//! each file is named for the step of the procedure it implements.

pub mod case_reference;
pub mod casework;
pub mod clocks;
pub mod correspondence;
pub mod disputes;
pub mod routing;
pub mod staff_complaints;
pub mod working_days;
