#ifndef QUOTAD_CSQLITE_SHIM_H
#define QUOTAD_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
