/* cmd_serve.c: `medlabel serve`, including first-run set-up (admin account, demo project). */
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "http/http.h"

#define BOOTSTRAP_KEY "http.bootstrap_done"

static const char demo_schema[] =
	"{\"format\":1,\"name\":\"demo\",\"title\":\"Demo: discharge notes and a chest image\","
	"\"modalities\":[\"text\",\"image\"],"
	"\"instructions\":\"Mark problems and medications in the notes, classify each note, box opacities.\","
	"\"controls\":["
	"{\"name\":\"note_type\",\"kind\":\"classification\",\"labels\":["
	"{\"value\":\"discharge\",\"hotkey\":\"1\"},{\"value\":\"progress\",\"hotkey\":\"2\"}]},"
	"{\"name\":\"mention\",\"kind\":\"span\",\"labels\":["
	"{\"value\":\"problem\",\"hotkey\":\"p\",\"color\":\"#e6194b\"},"
	"{\"value\":\"medication\",\"hotkey\":\"m\",\"color\":\"#4363d8\"}]},"
	"{\"name\":\"finding\",\"kind\":\"box\",\"labels\":["
	"{\"value\":\"opacity\",\"hotkey\":\"o\",\"color\":\"#3cb44b\"}]}]}";

/* Generated notes: synthetic, no real person. */
static const char *const demo_notes[] = {
	"Discharge summary. 67-year-old admitted with community-acquired pneumonia, treated with ceftriaxone and "
	"azithromycin. Afebrile for 48 hours. Discharged on oral amoxicillin.",
	"Progress note. Patient with type 2 diabetes mellitus and chronic kidney disease stage 3. HbA1c 8.1%. "
	"Metformin dose reduced; started on linagliptin.",
	"Discharge summary. Admitted for acute decompensated heart failure. Diuresed with IV furosemide, 4 kg "
	"weight loss. Discharged on bisoprolol and spironolactone.",
	"Progress note. Post-operative day 2 after laparoscopic cholecystectomy. Pain controlled with paracetamol. "
	"Tolerating diet.",
	"Discharge summary. Presented with new-onset atrial fibrillation, rate controlled with metoprolol, "
	"anticoagulated with apixaban. Echocardiogram: preserved ejection fraction.",
};

/* A 128x128 grey image with a bright round "opacity", encoded as PNG by libspng. */
static int demo_png(unsigned char **png, size_t *len, struct ml_err *err)
{
	enum { W = 128, H = 128 };
	static unsigned char img[W * H];
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int dx = x - 80, dy = y - 50;
			int v = 40 + (x + y) / 4;
			if (dx * dx + dy * dy < 15 * 15)
				v = 220;
			img[y * W + x] = (unsigned char)v;
		}
	spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
	if (!ctx)
		return ml_err_set(err, ML_ENOMEM, "cannot create a PNG encoder");
	spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
	struct spng_ihdr ihdr = {.width = W, .height = H, .bit_depth = 8, .color_type = SPNG_COLOR_TYPE_GRAYSCALE};
	spng_set_ihdr(ctx, &ihdr);
	int rc = spng_encode_image(ctx, img, sizeof img, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
	if (rc) {
		spng_ctx_free(ctx);
		return ml_err_set(err, ML_EIO, "cannot encode the demo PNG: %s", spng_strerror(rc));
	}
	*png = spng_get_png_buffer(ctx, len, &rc);
	spng_ctx_free(ctx);
	if (!*png)
		return ml_err_set(err, ML_EIO, "cannot encode the demo PNG: %s", spng_strerror(rc));
	return 0;
}

static int create_demo(struct store *s, const char *data_dir, int64_t admin_id, struct ml_err *err)
{
	int64_t pid;
	if (store_project_create(s, "demo", "Generated clinical notes and an image to try medlabel", &pid, err) != 0)
		return err->code == ML_EEXIST ? 0 : -1;
	int version;
	if (store_member_set(s, pid, admin_id, STORE_ROLE_MANAGER, err) != 0 ||
	    store_schema_add(s, pid, demo_schema, admin_id, &version, err) != 0)
		return -1;
	for (size_t i = 0; i < ML_ARRAY_LEN(demo_notes); i++) {
		struct store_item it = {.project_id = pid, .modality = STORE_MOD_TEXT, .source = STORE_SRC_EHR,
					.meta_json = "{\"demo\":true}", .text = (char *)demo_notes[i], .external_ref = "",
					.visible = true};
		char pk[32];
		snprintf(pk, sizeof pk, "demo-patient-%zu", i % 3 + 1);
		it.patient_key = pk;
		auth_secret_hash(demo_notes[i], it.content_hash);
		if (store_item_add(s, &it, 1, NULL, NULL, err) != 0)
			return -1;
	}
	unsigned char *png;
	size_t len;
	if (demo_png(&png, &len, err) != 0)
		return -1;
	char hash[65];
	int rc = store_media_put_mem(data_dir, png, len, hash, err);
	free(png);
	if (rc != 0)
		return -1;
	struct store_item img = {.project_id = pid, .modality = STORE_MOD_IMAGE, .source = STORE_SRC_IMAGING,
				 .patient_key = "demo-patient-1", .meta_json = "{\"demo\":true}", .media_hash = hash,
				 .media_type = "image/png", .external_ref = "", .visible = true};
	memcpy(img.content_hash, hash, sizeof img.content_hash);
	return store_item_add(s, &img, 1, NULL, NULL, err);
}

/* First start: an admin with a random password printed once, and the demo project. */
static int bootstrap(const char *data_dir, const char *db_url, int64_t *must_change_uid, struct ml_err *err)
{
	char db[4200];
	struct store *s;
	uint8_t secret[AUTH_SECRET_MAX];
	size_t secret_len;
	if (ml_mkdirs(data_dir, 0700, err) != 0 || auth_deployment_secret(data_dir, true, secret, &secret_len, err) != 0 ||
	    store_url_for(db_url, data_dir, db, sizeof db, err) != 0 || store_open_in(db, data_dir, &s, err) != 0)
		return -1;
	char *done = NULL;
	struct ml_err e2;
	if (store_setting_get(s, BOOTSTRAP_KEY, &done, &e2) == 0) {
		ml_free(done);
		*must_change_uid = auth_must_change_user(s);
		store_close(s);
		return 0;
	}
	int rc = -1;
	if (store_begin(s, err) != 0)
		goto out;
	char password[21];
	auth_password_generate(password, 20);
	char hash[AUTH_HASH_MAX];
	int64_t admin_id;
	struct store_user u;
	bool new_admin = false;
	if (store_user_by_name(s, "admin", &u, &e2) == 0) {
		admin_id = u.id;
		store_user_release(&u);
	} else {
		if (auth_password_hash(password, hash, err) != 0 ||
		    store_user_create(s, "admin", hash, true, &admin_id, err) != 0)
			goto fail;
		new_admin = true;
	}
	if (create_demo(s, data_dir, admin_id, err) != 0 || store_setting_set(s, BOOTSTRAP_KEY, "1", err) != 0 ||
	    (new_admin && auth_must_change_set(s, admin_id, err) != 0) || store_commit(s, err) != 0)
		goto fail;
	*must_change_uid = new_admin ? admin_id : 0;
	if (new_admin) {
		printf("medlabel: created the administrator account 'admin' with the one-time password:\n\n    %s\n\n"
		       "It is shown only now and must be changed at the first login (POST /api/v1/me/password or "
		       "'medlabel user passwd admin') before anything else is allowed.\n",
		       password);
		fflush(stdout);
	}
	rc = 0;
	goto out;
fail:
	store_rollback(s);
out:
	store_close(s);
	return rc;
}

static int run_serve(struct cli_ctx *ctx, int argc, char **argv)
{
	struct http_config cfg;
	http_config_init(&cfg);
	cfg.data_dir = ctx->data_dir;
	cfg.db_url = ctx->db_url;
	bool print_routes = false, json = false;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--listen", &v))
			cfg.listen = v;
		else if (cli_opt(argc, argv, &i, "--web", &v))
			cfg.web_dir = v;
		else if (cli_opt(argc, argv, &i, "--tls-cert", &v))
			cfg.tls_cert = v;
		else if (cli_opt(argc, argv, &i, "--tls-key", &v))
			cfg.tls_key = v;
		else if (cli_opt(argc, argv, &i, "--threads", &v)) {
			int n = atoi(v);
			if (n < 1 || n > 128)
				return cli_usage_error(ctx, "--threads must be 1 to 128");
			cfg.threads = (unsigned)n;
		} else if (cli_opt(argc, argv, &i, "--max-body", &v)) {
			long long n = atoll(v);
			if (n < 1024)
				return cli_usage_error(ctx, "--max-body must be at least 1024 bytes");
			cfg.max_body = (size_t)n;
		} else if (cli_opt(argc, argv, &i, "--max-upload", &v)) {
			long long n = atoll(v);
			if (n < 1024)
				return cli_usage_error(ctx, "--max-upload must be at least 1024 bytes");
			cfg.max_upload = (uint64_t)n;
		} else if (!strcmp(argv[i], "--print-routes"))
			print_routes = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--verbose"))
			ml_log_set_level(ML_LOG_DEBUG);
		else
			return cli_usage_error(ctx, "unknown argument '%s'", argv[i]);
	}
	if (print_routes) {
		size_t n;
		const struct http_route *rt = http_routes(&n);
		if (json) {
			struct ml_buf b;
			ml_buf_init(&b, 0);
			if (http_routes_json(&b) != 0)
				return cli_fail(ctx, "out of memory");
			fputs(b.data, stdout);
			ml_buf_release(&b);
		} else {
			for (size_t i = 0; i < n; i++)
				printf("%-7s %-55s %s\n", rt[i].method, rt[i].pattern, rt[i].summary);
		}
		return CLI_OK;
	}
	struct ml_err err;
	if (auth_init() != 0)
		return cli_fail(ctx, "cannot initialise libsodium");
	if (bootstrap(ctx->data_dir, ctx->db_url, &cfg.must_change_uid, &err) != 0)
		return cli_fail_err(ctx, &err);
	if (http_serve(&cfg, &err) != 0)
		return cli_fail_err(ctx, &err);
	return CLI_OK;
}

CLI_COMMAND(serve, "serve",
	    "[--listen ADDR:PORT] [--web DIR] [--tls-cert PEM --tls-key PEM] [--threads N] [--max-body BYTES] "
	    "[--max-upload BYTES] [--print-routes [--json]] [--verbose]",
	    "serve the web UI and the HTTP API (default 127.0.0.1:8080)", run_serve);
