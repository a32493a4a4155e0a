//! rockpool
