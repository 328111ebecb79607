//! AArch64 guest frontend (in progress)
