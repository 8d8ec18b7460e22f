//! What happened, and the files that show it. Components record into the `Recorder`; writers
//! turn it into CSV (and later charts and views). Components never write files.

pub mod charts;
pub mod check;
pub mod compare;
pub mod csv;
pub mod html;
pub mod kubectl;
pub mod messages;
pub mod output;
pub mod recorder;
pub mod summary;
pub mod timeline;

pub use recorder::Recorder;
pub use summary::Summary;
