// Debian's libsqlite3-dev (the SQLite the anchors in MEASUREMENTS.md were taken with).
#include <sqlite3.h>
