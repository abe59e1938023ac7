#!/usr/bin/env bash
# Builds bench/text_bench (the driver of the text benchmarks) against the objects of the -O2 build.
set -euo pipefail
cd "$(dirname "$0")/.."
make -j2 all >/dev/null
mkdir -p build/bench
objs=$(find build/obj/src -name '*.o' ! -path '*/cli/main.o')
# shellcheck disable=SC2086
gcc -std=c11 -D_GNU_SOURCE -O2 -g -Isrc $(pkg-config --cflags jansson) bench/text_bench.c $objs -o build/bench/text_bench \
	$(pkg-config --libs libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc libpcre2-8 zlib libcurl libjpeg \
	  libopenjp2 charls spng libpng sndfile libavformat libavcodec libavutil libswscale 2>/dev/null) -lnifti2 -lznz -lm -lpthread
