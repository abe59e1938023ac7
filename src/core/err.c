/* err.c: filling struct ml_err. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

int ml_err_setv(struct ml_err *err, enum ml_code code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		err->field[0] = '\0';
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	}
	return -1;
}

int ml_err_set(struct ml_err *err, enum ml_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ml_err_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int ml_err_field(struct ml_err *err, enum ml_code code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ml_err_setv(err, code, fmt, ap);
	va_end(ap);
	if (err)
		snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	return -1;
}

void ml_err_clear(struct ml_err *err)
{
	if (err) {
		err->code = ML_OK;
		err->msg[0] = '\0';
		err->field[0] = '\0';
	}
}

const char *ml_code_name(enum ml_code code)
{
	switch (code) {
	case ML_OK: return "ok";
	case ML_EINVAL: return "invalid";
	case ML_ENOTFOUND: return "not_found";
	case ML_ECONFLICT: return "conflict";
	case ML_EEXIST: return "exists";
	case ML_EPERM: return "forbidden";
	case ML_ELIMIT: return "too_large";
	case ML_EIO: return "io_error";
	case ML_ENOMEM: return "out_of_memory";
	case ML_EUNSUPPORTED: return "unsupported";
	case ML_EBUSY: return "busy";
	case ML_EVERSION: return "version";
	}
	return "unknown";
}
