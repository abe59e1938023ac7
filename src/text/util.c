/* util.c: content hashing and CSV field quoting shared by the text importers and exporters. */
#include "text/text_int.h"

#include <sodium.h>
#include <string.h>

void text_content_hash(const void *data, size_t len, char out[65])
{
	uint8_t h[32];
	crypto_generichash(h, sizeof h, data, len, NULL, 0);
	ml_hex_encode(h, sizeof h, out);
}

int text_csv_write_field(FILE *out, const char *s, bool last)
{
	if (!s)
		s = "";
	bool quote = s[strcspn(s, ",\"\r\n")] != '\0' || (*s == ' ' || (*s && s[strlen(s) - 1] == ' '));
	if (quote) {
		if (fputc('"', out) == EOF)
			return -1;
		for (const char *p = s; *p; p++) {
			if (*p == '"' && fputc('"', out) == EOF)
				return -1;
			if (fputc(*p, out) == EOF)
				return -1;
		}
		if (fputc('"', out) == EOF)
			return -1;
	} else if (fputs(s, out) == EOF) {
		return -1;
	}
	return fputs(last ? "\r\n" : ",", out) == EOF ? -1 : 0;
}
