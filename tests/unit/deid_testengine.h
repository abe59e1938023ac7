/* deid_testengine.h: the one de-identification engine a deid test binary builds (on first use, kept for the
 * whole run: building it takes a few milliseconds and every test needs it). */
#ifndef ML_DEID_TESTENGINE_H
#define ML_DEID_TESTENGINE_H

#include "deid/deid.h"

#include <stdio.h>

/* The engine, or NULL (the reason printed as a TAP comment) if it cannot be built. */
static inline struct deid_engine *engine(void)
{
	static struct deid_engine *e;
	if (!e) {
		struct ml_err err = {0};
		e = deid_engine_new(&err);
		if (!e)
			fprintf(stderr, "# engine: %s\n", err.msg);
	}
	return e;
}

#endif
