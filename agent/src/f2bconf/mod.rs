//! fail2ban's configuration files: a reader with fail2ban's own semantics, the config stream it
//! produces, a comment-preserving editor for the `.local` files the agent owns, and the I/O that
//! swaps those files atomically and keeps the previous version for rollback.
//!
//! - [`parser`]: one file, Python `configparser` rules, errors with line numbers (pure);
//! - [`merged`]: several files merged, `%(...)s` interpolation (pure);
//! - [`tree`]: which files make up a name, `[INCLUDES]`, the parse cache (I/O);
//! - [`options`]: fail2ban's helpers (`name[params]`, `<tag>` substitution, shlex);
//! - [`stream`]: the jail/filter/action readers and the config stream (`fail2ban-client -d`);
//! - [`pyrepr`]: Python `repr` of stream values, and parsing it back (the oracle);
//! - [`model`]: what the API shows of jails, filters and actions, with the file of each value;
//! - [`editor`]: set/remove keys in a `.local` document, keeping everything else (pure);
//! - [`duration`]: fail2ban's time values (`10m`, `1h 30m`, `-1`) in seconds (pure);
//! - [`files`]: names, confined paths, atomic writes, previous versions (I/O);
//! - [`regex`]: fail2ban's regex dialect compiled with `fancy-regex`;
//! - [`validate`]: `fail2ban-client -d` on the resulting config, and what it says.

pub mod duration;
pub mod editor;
pub mod files;
pub mod merged;
pub mod model;
pub mod options;
pub mod parser;
pub mod pyrepr;
pub mod regex;
pub mod stream;
pub mod tree;
pub mod validate;
