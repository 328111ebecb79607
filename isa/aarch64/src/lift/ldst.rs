//! ARM ARM C4.1.88 "Loads and Stores" (being written).
