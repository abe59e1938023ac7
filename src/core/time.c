/* time.c: clocks, RFC 3339 formatting and parsing, logging without PHI, hex. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ml_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ml_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ml_time_format(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int ml_time_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	size_t n = strlen(s);
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 6 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
			if (*p == '.') {
				p++;
				int scale = 100;
				while (*p >= '0' && *p <= '9') {
					frac += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
				return -1;
			off = (oh * 60 + om) * (*p == '+' ? 1 : -1);
			p += 6;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	/* Days from civil (Howard Hinnant's algorithm): no timegm, no time zone state. */
	int yy = y - (mo <= 2);
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	*ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)off * 60) * 1000 + frac;
	return 0;
}

static enum ml_log_level log_level = ML_LOG_INFO;
void ml_log_set_level(enum ml_log_level level) { log_level = level; }

void ml_log(enum ml_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (level < log_level)
		return;
	char ts[40], line[1024];
	ml_time_format(ml_now_ms(), ts, sizeof ts);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s\n", ts, names[level], line);
}

void ml_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int ml_hex_decode(const char *in, uint8_t *out, size_t outlen)
{
	if (strlen(in) != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
