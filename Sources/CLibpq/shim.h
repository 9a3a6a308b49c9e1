#ifndef QUOTAD_CLIBPQ_SHIM_H
#define QUOTAD_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
