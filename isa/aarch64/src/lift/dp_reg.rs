//! ARM ARM C4.1.89 "Data Processing -- Register" (being written).
