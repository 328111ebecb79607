//! x86-64 guest frontend (in progress)
