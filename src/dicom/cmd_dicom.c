/* cmd_dicom.c: `medlabel dicom dump`, `dicom scan` (header parsing) and `dicom synth` (generated test files). */
#include "cli/cli.h"
#include "dicom/dicom.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_dump(struct cli_ctx *ctx, int argc, char **argv)
{
	bool json = false, meta = false, stop = false;
	const char *file = NULL, *v;
	size_t bulk = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--meta"))
			meta = true;
		else if (!strcmp(argv[i], "--stop-before-pixels"))
			stop = true;
		else if (cli_opt(argc, argv, &i, "--bulk-threshold", &v))
			bulk = (size_t)strtoull(v, NULL, 10);
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else if (file)
			return cli_usage_error(ctx, "one FILE only");
		else
			file = argv[i];
	}
	if (!file)
		return cli_usage_error(ctx, "FILE is required");
	struct dicom_read_opts ro = {.stop_before_pixels = stop};
	struct dicom_file *f;
	struct ml_err err = {0};
	if (dicom_open(file, &ro, &f, &err) < 0)
		return cli_fail_err(ctx, &err);
	struct ml_buf out;
	ml_buf_init(&out, 0);
	int rc;
	if (json) {
		char abs[PATH_MAX], uri[PATH_MAX + 16];
		struct dicom_json_opts jo = {.with_meta = meta, .bulk_threshold = bulk};
		if (bulk && realpath(file, abs)) {
			snprintf(uri, sizeof uri, "file://%s", abs);
			jo.bulk_uri = uri;
		}
		rc = dicom_dump_json(f, &jo, &out, &err);
	} else {
		rc = dicom_dump_text(f, &out, &err);
	}
	dicom_free(f);
	if (rc < 0) {
		ml_buf_release(&out);
		return cli_fail_err(ctx, &err);
	}
	fwrite(out.data, 1, out.len, stdout);
	ml_buf_release(&out);
	return fflush(stdout) == 0 ? CLI_OK : CLI_BAD_INPUT;
}

CLI_COMMAND(dicom_dump, "dicom dump", "FILE [--json [--meta] [--bulk-threshold N]] [--stop-before-pixels]",
	    "print a DICOM dataset like dcmdump, or as DICOM JSON (PS3.18 F.2)", run_dump)

/* ---- synth: files made by our writer, for tests, fuzz seeds and benchmarks ------------------------ */

struct synth {
	const char *kind; /* "ct", "mr", "phi" */
	int rows, cols, patients;
	uint8_t *pixels;
	size_t npix;
};

static void uid(char *out, size_t n, const char *what, int a, int b, int c)
{
	snprintf(out, n, "1.2.826.0.1.3680043.10.1337.%s.%d.%d.%d", what, a, b, c);
}

static void synth_file(struct dicom_writer *w, const struct synth *s, int i)
{
	int p = i % s->patients;
	int series = (i / s->patients) % 3;
	bool phi = !strcmp(s->kind, "phi");
	bool ct = !strcmp(s->kind, "ct");
	const char *sop_class = ct ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.4";
	/* phi files include ultrasound and secondary capture, which de-identification must flag */
	if (phi && i % 7 == 3)
		sop_class = "1.2.840.10008.5.1.4.1.1.7";
	char sop[96], study[96], ser[96], frame[96], buf[256];
	uid(sop, sizeof sop, "3", p, series, i);
	uid(study, sizeof study, "1", p, 0, 0);
	uid(ser, sizeof ser, "2", p, series, 0);
	uid(frame, sizeof frame, "4", p, series, 0);
	dicom_w_meta(w, sop_class, sop, NULL);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0005), phi && p % 2 ? "ISO_IR 192" : "ISO_IR 100");
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0008), "ORIGINAL\\PRIMARY\\AXIAL");
	snprintf(buf, sizeof buf, "2021%02d%02d", 1 + p % 12, 1 + (i % 27));
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0012), buf);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0016), sop_class);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0018), sop);
	snprintf(buf, sizeof buf, "2020%02d%02d", 1 + p % 12, 1 + p % 28);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0020), buf); /* StudyDate */
	snprintf(buf, sizeof buf, "2020%02d%02d", 1 + p % 12, 2 + p % 27);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0021), buf); /* SeriesDate: the day after */
	if (phi) {
		snprintf(buf, sizeof buf, "2020%02d%02d%02d%02d%02d.250000", 1 + p % 12, 2 + p % 27, 8 + i % 10,
			 i % 60, (i * 7) % 60);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x002A), buf); /* AcquisitionDateTime */
	}
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0030), "101500");
	snprintf(buf, sizeof buf, "ACC%06d", p * 10 + series);
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0050), buf);
	const char *modality = ct ? "CT" : "MR";
	if (phi && i % 7 == 5)
		modality = "US";
	dicom_w_str(w, DICOM_TAG(0x0008, 0x0060), modality);
	if (phi) {
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0080), "St Elsewhere General Hospital");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0081), "12 Harbour Road^Springfield");
		snprintf(buf, sizeof buf, "Referrer%d^Anna^^Dr", p);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0090), buf);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1010), "SCANNER-ROOM-4");
		snprintf(buf, sizeof buf, "Head study of Patient%d", p);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1030), buf);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x103E), "T1 axial");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1050), "Performer^Paul");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1070), "Operator^Olga");
		/* ReferencedStudySequence with a nested UID */
		dicom_w_seq_begin(w, DICOM_TAG(0x0008, 0x1110), i % 2 == 0);
		dicom_w_item_begin(w, i % 2 == 0);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1150), "1.2.840.10008.3.1.2.3.1");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1155), study);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		/* ReferencedImageSequence: the previous instance of the series */
		dicom_w_seq_begin(w, DICOM_TAG(0x0008, 0x1140), false);
		dicom_w_item_begin(w, false);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1150), sop_class);
		uid(buf, sizeof buf, "3", p, series, i > 0 ? i - 1 : 0);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x1155), buf);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
	}
	if (phi && p % 2)
		snprintf(buf, sizeof buf, "Müller%d^Jürgen^Q", p);
	else
		snprintf(buf, sizeof buf, "Patient%d^Given^Q", p);
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0010), buf);
	snprintf(buf, sizeof buf, "PID%05d", p);
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), buf);
	snprintf(buf, sizeof buf, "19%02d%02d%02d", 40 + p % 50, 1 + p % 12, 1 + p % 28);
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0030), buf);
	dicom_w_str(w, DICOM_TAG(0x0010, 0x0040), p % 2 ? "F" : "M");
	if (phi) {
		/* OtherPatientIDsSequence with the ID of another system */
		dicom_w_seq_begin(w, DICOM_TAG(0x0010, 0x1002), true);
		dicom_w_item_begin(w, true);
		snprintf(buf, sizeof buf, "MRN-%07d", p * 31);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), buf);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x0021), "OTHER HOSPITAL");
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		snprintf(buf, sizeof buf, "0%02dY", 30 + p % 50);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x1010), buf);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x1030), "72.5");
		snprintf(buf, sizeof buf, "%d Elm Street^Springfield", 10 + p);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x1040), buf);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x4000), "Patient called back on Tuesday");
	}
	dicom_w_str(w, DICOM_TAG(0x0018, 0x0050), ct ? "1.25" : "3");
	if (phi) {
		snprintf(buf, sizeof buf, "SN%08d", 4711);
		dicom_w_str(w, DICOM_TAG(0x0018, 0x1000), buf); /* DeviceSerialNumber */
		dicom_w_str(w, DICOM_TAG(0x0018, 0x1030), "BRAIN ROUTINE");
	}
	if (phi) {
		/* Private groups: an unknown creator holding PHI, and a creator with a safe attribute. */
		dicom_w_str(w, DICOM_TAG(0x0019, 0x0010), "SIEMENS MR HEADER");
		dicom_w_elem(w, DICOM_TAG(0x0019, 0x100C), DICOM_VR_IS, "1000", 4); /* B_value: safe */
	}
	dicom_w_str(w, DICOM_TAG(0x0020, 0x000D), study);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x000E), ser);
	snprintf(buf, sizeof buf, "%d", p * 10 + series);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0010), buf);
	snprintf(buf, sizeof buf, "%d", series + 1);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0011), buf);
	snprintf(buf, sizeof buf, "%d", i + 1);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0013), buf);
	snprintf(buf, sizeof buf, "-120\\-130\\%g", -50.0 + 1.25 * (i / s->patients));
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0032), buf);
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0037), "1\\0\\0\\0\\1\\0");
	dicom_w_str(w, DICOM_TAG(0x0020, 0x0052), frame);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0002), 1);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0004), "MONOCHROME2");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0010), (uint16_t)s->rows);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0011), (uint16_t)s->cols);
	dicom_w_str(w, DICOM_TAG(0x0028, 0x0030), ct ? "0.7\\0.7" : "3.5\\3.5");
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0100), 16);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0101), 12);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0102), 11);
	dicom_w_us(w, DICOM_TAG(0x0028, 0x0103), 0);
	if (phi)
		dicom_w_str(w, DICOM_TAG(0x0028, 0x0301), i % 7 == 1 ? "YES" : "NO");
	if (ct) {
		dicom_w_str(w, DICOM_TAG(0x0028, 0x1050), "40");
		dicom_w_str(w, DICOM_TAG(0x0028, 0x1051), "400");
		dicom_w_str(w, DICOM_TAG(0x0028, 0x1052), "-1024");
		dicom_w_str(w, DICOM_TAG(0x0028, 0x1053), "1");
	}
	if (phi) {
		snprintf(buf, sizeof buf, "Patient%d home phone 555-01%02d", p, p % 100);
		dicom_w_str(w, DICOM_TAG(0x0029, 0x0010), "ACME PACS 1.0");
		dicom_w_elem(w, DICOM_TAG(0x0029, 0x1001), DICOM_VR_LO, buf, strlen(buf));
		dicom_w_seq_begin(w, DICOM_TAG(0x0029, 0x1002), false);
		dicom_w_item_begin(w, false);
		snprintf(buf, sizeof buf, "PID%05d", p);
		dicom_w_str(w, DICOM_TAG(0x0010, 0x0020), buf);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
	}
	if (phi) {
		/* RequestAttributesSequence, nested two deep: ScheduledProtocolCodeSequence inside */
		dicom_w_seq_begin(w, DICOM_TAG(0x0040, 0x0275), false);
		dicom_w_item_begin(w, true);
		snprintf(buf, sizeof buf, "ACC%06d", p * 10 + series);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0050), buf);
		dicom_w_seq_begin(w, DICOM_TAG(0x0040, 0x0008), true);
		dicom_w_item_begin(w, false);
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0100), "HEAD01");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0102), "99LOCAL");
		dicom_w_str(w, DICOM_TAG(0x0008, 0x0104), "Head routine for Patient");
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
		snprintf(buf, sizeof buf, "SPS%05d", p);
		dicom_w_str(w, DICOM_TAG(0x0040, 0x0009), buf);
		snprintf(buf, sizeof buf, "RP%05d", p);
		dicom_w_str(w, DICOM_TAG(0x0040, 0x1001), buf);
		dicom_w_item_end(w);
		dicom_w_seq_end(w);
	}
	/* Each file gets distinct pixels: the first bytes carry the file number. */
	s->pixels[0] = (uint8_t)i;
	s->pixels[1] = (uint8_t)(i >> 8);
	s->pixels[2] = (uint8_t)(i >> 16);
	dicom_w_elem(w, DICOM_TAG_PIXEL_DATA, DICOM_VR_OW, s->pixels, s->npix);
}

static int run_synth(struct cli_ctx *ctx, int argc, char **argv)
{
	struct synth s = {.kind = "mr", .rows = 64, .cols = 64, .patients = 5};
	const char *dir = NULL, *v;
	long count = 10;
	for (int i = 0; i < argc; i++) {
		if (cli_opt(argc, argv, &i, "--kind", &v))
			s.kind = v;
		else if (cli_opt(argc, argv, &i, "--count", &v))
			count = strtol(v, NULL, 10);
		else if (cli_opt(argc, argv, &i, "--rows", &v))
			s.rows = (int)strtol(v, NULL, 10);
		else if (cli_opt(argc, argv, &i, "--cols", &v))
			s.cols = (int)strtol(v, NULL, 10);
		else if (cli_opt(argc, argv, &i, "--patients", &v))
			s.patients = (int)strtol(v, NULL, 10);
		else if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else
			dir = argv[i];
	}
	if (!dir)
		return cli_usage_error(ctx, "DIR is required");
	if (strcmp(s.kind, "ct") && strcmp(s.kind, "mr") && strcmp(s.kind, "phi"))
		return cli_usage_error(ctx, "--kind must be ct, mr or phi");
	if (count < 1 || count > 10000000 || s.rows < 1 || s.rows > 8192 || s.cols < 1 || s.cols > 8192 ||
	    s.patients < 1)
		return cli_usage_error(ctx, "--count, --rows, --cols or --patients out of range");
	struct ml_err err = {0};
	if (ml_mkdirs(dir, 0755, &err) < 0)
		return cli_fail_err(ctx, &err);
	s.npix = (size_t)s.rows * (size_t)s.cols * 2;
	s.pixels = ml_xmalloc(s.npix);
	uint32_t x = 12345;
	for (size_t k = 0; k < s.npix; k += 2) {
		x = x * 1103515245u + 12345u;
		uint16_t val = (uint16_t)((x >> 16) & 0x0FFF);
		s.pixels[k] = (uint8_t)val;
		s.pixels[k + 1] = (uint8_t)(val >> 8);
	}
	int rc = CLI_OK;
	for (long i = 0; i < count && rc == CLI_OK; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s%06ld.dcm", dir, s.kind, i);
		struct dicom_writer *w = dicom_writer_new();
		synth_file(w, &s, (int)i);
		if (dicom_w_save(w, path, &err) < 0)
			rc = cli_fail_err(ctx, &err);
		dicom_writer_free(w);
	}
	ml_free(s.pixels);
	return rc;
}

CLI_COMMAND(dicom_synth, "dicom synth", "DIR [--kind ct|mr|phi] [--count N] [--rows R --cols C] [--patients P]",
	    "write generated DICOM files (for tests and benchmarks; phi files carry fake PHI)", run_synth)

/* ---- scan: parse the headers of many files (what an import does first; also the parsing benchmark) -- */

static uint64_t count_elems(const struct dicom_item *it)
{
	uint64_t n = it->nelems;
	for (uint32_t i = 0; i < it->nelems; i++)
		if (it->elems[i].vr == DICOM_VR_SQ)
			for (uint32_t k = 0; k < it->elems[i].nitems; k++)
				n += count_elems(&it->elems[i].items[k]);
	return n;
}

struct scan {
	struct cli_ctx *ctx;
	bool full;
	char **paths;
	size_t npaths, apaths;
	atomic_size_t next;
	atomic_uint_fast64_t files, elems, failed;
	pthread_mutex_t lock;
};

static void *scan_worker(void *arg)
{
	struct scan *s = arg;
	struct dicom_read_opts o = {.stop_before_pixels = !s->full};
	for (;;) {
		size_t i = atomic_fetch_add(&s->next, 1);
		if (i >= s->npaths)
			break;
		struct dicom_file *f;
		struct ml_err err = {0};
		if (dicom_open(s->paths[i], &o, &f, &err) < 0) {
			pthread_mutex_lock(&s->lock);
			fprintf(stderr, "%s %s: %s\n", s->ctx->prog, s->ctx->command, err.msg);
			pthread_mutex_unlock(&s->lock);
			atomic_fetch_add(&s->failed, 1);
			continue;
		}
		atomic_fetch_add(&s->files, 1);
		atomic_fetch_add(&s->elems, count_elems(&f->root));
		dicom_free(f);
	}
	return NULL;
}

static void scan_add(struct scan *s, const char *path)
{
	if (s->npaths == s->apaths) {
		s->apaths = s->apaths ? s->apaths * 2 : 1024;
		s->paths = ml_xrealloc(s->paths, s->apaths * sizeof *s->paths);
	}
	s->paths[s->npaths++] = ml_xstrdup(path);
}

static void scan_path(struct scan *s, const char *path, bool known_file)
{
	DIR *d = known_file ? NULL : opendir(path);
	if (!d) {
		scan_add(s, path);
		return;
	}
	struct dirent *de;
	char p[4096];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(p, sizeof p, "%s/%s", path, de->d_name);
		/* d_type saves an opendir() per file, which would cost as much as parsing it */
		scan_path(s, p, de->d_type == DT_REG);
	}
	closedir(d);
}

static int run_scan(struct cli_ctx *ctx, int argc, char **argv)
{
	struct scan s = {.ctx = ctx};
	long jobs = 1;
	const char *v;
	int64_t t0 = ml_monotonic_ns();
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--full"))
			s.full = true;
		else if (cli_opt(argc, argv, &i, "--jobs", &v))
			jobs = strtol(v, NULL, 10);
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(ctx, "unknown option '%s'", argv[i]);
		else
			scan_path(&s, argv[i], false);
	}
	if (!s.npaths)
		return cli_usage_error(ctx, "PATH is required");
	if (jobs < 1 || jobs > 64)
		return cli_usage_error(ctx, "--jobs must be 1 to 64");
	pthread_mutex_init(&s.lock, NULL);
	pthread_t th[64];
	for (long t = 1; t < jobs; t++)
		pthread_create(&th[t], NULL, scan_worker, &s);
	scan_worker(&s);
	for (long t = 1; t < jobs; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&s.lock);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	printf("%llu file(s), %llu element(s), %llu failed, %.3fs, %.0f files/s\n", (unsigned long long)s.files,
	       (unsigned long long)s.elems, (unsigned long long)s.failed, secs, secs > 0 ? (double)s.files / secs : 0);
	for (size_t i = 0; i < s.npaths; i++)
		ml_free(s.paths[i]);
	ml_free(s.paths);
	return s.failed ? CLI_BAD_INPUT : CLI_OK;
}

CLI_COMMAND(dicom_scan, "dicom scan", "PATH... [--full] [--jobs N]",
	    "parse the headers of DICOM files and folders (without pixel data unless --full); prints counts and speed",
	    run_scan)
