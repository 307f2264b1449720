// SPDX-License-Identifier: MIT
/*
 * OAuth2 token sources (see token.h).  Locks: ts->lock guards the cached
 * token and is held across a refresh, so that concurrent callers wait for
 * one exchange instead of starting their own.
 */
#include "bucketfs/token.h"

#include "bucketfs/creds.h"
#include "bucketfs/log.h"
#include "bucketfs/retry.h"

#include <errno.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_SCOPE "https://www.googleapis.com/auth/devstorage.read_only"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define METADATA_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define JWT_LIFETIME_S 3600
#define TOKEN_BODY_CAP (64u << 10)

struct bfs_token_source {
	enum bfs_token_kind kind;
	struct bfs_http *http;
	char *describe;

	/* key file */
	bool service_account; /* else authorized_user */
	char *client_email;
	char *private_key_id;
	EVP_PKEY *pkey;
	char *client_id;
	char *client_secret;
	char *refresh_token;
	char *token_uri;
	char *scope;
	/* token file */
	char *path;
	struct timespec mtime;
	/* metadata server */
	char *metadata_url;

	GMutex lock;
	char *token;	  /* protected by lock */
	time_t expires;	  /* protected by lock; 0: never */
	time_t lifetime;  /* protected by lock */
	unsigned fetches; /* protected by lock */
};

static char *base64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);
	size_t n = strlen(s);

	for (char *p = s; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	while (n && s[n - 1] == '=')
		s[--n] = '\0';
	return s;
}

/* --- key files ------------------------------------------------------------------ */

static char *member(JsonObject *o, const char *name)
{
	const char *v = json_object_has_member(o, name) &&
					JSON_NODE_HOLDS_VALUE(json_object_get_member(o, name))
				? json_object_get_string_member(o, name)
				: NULL;

	return v && *v ? g_strdup(v) : NULL;
}

static int load_key_file(struct bfs_token_source *ts, const char *path, const char *token_uri,
			 char *msg, size_t msglen)
{
	JsonParser *parser = json_parser_new();
	GError *err = NULL;
	JsonNode *root;
	JsonObject *o;
	char *type = NULL, *pem = NULL, *text = NULL;
	gsize len = 0;
	struct stat st;
	int r = 0;

	if (stat(path, &st) != 0 || !g_file_get_contents(path, &text, &len, &err)) {
		snprintf(msg, msglen, "credentials file %s cannot be read: %s", path,
			 err ? err->message : g_strerror(errno));
		r = EACCES;
		goto out;
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err) ||
	    !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
		snprintf(msg, msglen, "credentials file %s is not a JSON object%s%s", path,
			 err ? ": " : "", err ? err->message : "");
		r = EINVAL;
		goto out;
	}
	o = json_node_get_object(root);
	type = member(o, "type");
	ts->token_uri = token_uri ? g_strdup(token_uri) : member(o, "token_uri");
	if (!ts->token_uri)
		ts->token_uri = g_strdup(DEFAULT_TOKEN_URI);
	if (type && strcmp(type, "service_account") == 0) {
		BIO *bio;

		ts->service_account = true;
		ts->client_email = member(o, "client_email");
		ts->private_key_id = member(o, "private_key_id");
		pem = member(o, "private_key");
		if (!ts->client_email || !pem) {
			snprintf(msg, msglen, "credentials file %s lacks %s", path,
				 !ts->client_email ? "client_email" : "private_key");
			r = EINVAL;
			goto out;
		}
		bio = BIO_new_mem_buf(pem, -1);
		ts->pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (!ts->pkey || EVP_PKEY_get_base_id(ts->pkey) != EVP_PKEY_RSA) {
			snprintf(msg, msglen,
				 "credentials file %s: private_key is not an RSA key in PEM", path);
			r = EINVAL;
			goto out;
		}
		ts->describe = g_strdup_printf("service account %s", ts->client_email);
	} else if (type && strcmp(type, "authorized_user") == 0) {
		ts->client_id = member(o, "client_id");
		ts->client_secret = member(o, "client_secret");
		ts->refresh_token = member(o, "refresh_token");
		if (!ts->client_id || !ts->client_secret || !ts->refresh_token) {
			snprintf(msg, msglen,
				 "credentials file %s lacks client_id, client_secret or "
				 "refresh_token",
				 path);
			r = EINVAL;
			goto out;
		}
		ts->describe = g_strdup_printf("authorized user (%s)", path);
	} else {
		type = type ? type : g_strdup("(none)");
		snprintf(msg, msglen,
			 "credentials file %s: type '%s' is not service_account or authorized_user",
			 path, type);
		r = EINVAL;
	}
	/* Google's tools write these 0600; a looser key still works, with a word. */
	if (!r && (st.st_mode & 077))
		bfs_log(BFS_LOG_WARN,
			"credentials file %s is readable by group or others (mode %04o)", path,
			(unsigned)(st.st_mode & 07777));
out:
	if (err)
		g_error_free(err);
	bfs_secret_free(pem);
	if (text) {
		OPENSSL_cleanse(text, len);
		g_free(text);
	}
	g_free(type);
	g_object_unref(parser);
	return r;
}

char *bfs_token_jwt(struct bfs_token_source *ts, long long now)
{
	char *header, *claims, *h64, *c64, *input, *sig64, *jwt = NULL;
	unsigned char sig[1024];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md;

	if (!ts->pkey)
		return NULL;
	header = ts->private_key_id
			 ? g_strdup_printf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
					   ts->private_key_id)
			 : g_strdup("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	claims = g_strdup_printf("{\"iss\":\"%s\",\"scope\":\"%s\",\"aud\":\"%s\",\"iat\":%lld,"
				 "\"exp\":%lld}",
				 ts->client_email, ts->scope, ts->token_uri, now,
				 now + JWT_LIFETIME_S);
	h64 = base64url(header, strlen(header));
	c64 = base64url(claims, strlen(claims));
	input = g_strdup_printf("%s.%s", h64, c64);
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ts->pkey) == 1 &&
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input, strlen(input)) == 1) {
		sig64 = base64url(sig, sig_len);
		jwt = g_strdup_printf("%s.%s", input, sig64);
		g_free(sig64);
	}
	EVP_MD_CTX_free(md);
	g_free(header);
	g_free(claims);
	g_free(h64);
	g_free(c64);
	g_free(input);
	return jwt;
}

/* --- exchanges -------------------------------------------------------------------- */

static char *form_escape(const char *s)
{
	return g_uri_escape_string(s, NULL, FALSE);
}

/* Parse a token answer: access_token, expires_in; or error[_description]. */
static int parse_token_answer(struct bfs_token_source *ts, const struct bfs_http_response *resp,
			      const char *where, char *msg, size_t msglen)
{
	JsonParser *parser = json_parser_new();
	JsonNode *root;
	JsonObject *o = NULL;
	char *tok = NULL, *error = NULL, *desc = NULL;
	gint64 expires_in = 3600;
	int r = 0;

	if (resp->body && resp->body->len &&
	    json_parser_load_from_data(parser, (const char *)resp->body->data,
				       (gssize)resp->body->len, NULL) &&
	    (root = json_parser_get_root(parser)) && JSON_NODE_HOLDS_OBJECT(root))
		o = json_node_get_object(root);
	if (o) {
		tok = member(o, "access_token");
		error = member(o, "error");
		desc = member(o, "error_description");
		if (json_object_has_member(o, "expires_in"))
			expires_in = json_object_get_int_member(o, "expires_in");
	}
	if (resp->status != 200 || !tok) {
		snprintf(msg, msglen, "the token endpoint %s refused (HTTP %ld%s%s%s%s)", where,
			 resp->status, error ? ": " : "", error ? error : "", desc ? ": " : "",
			 desc ? desc : "");
		r = resp->status == 400 || resp->status == 401 || resp->status == 403 ? EACCES
										      : EIO;
		if (resp->status == 200)
			snprintf(msg, msglen,
				 "the token endpoint %s answered without an access_token", where);
		bfs_secret_free(tok);
		goto out;
	}
	if (expires_in < 1)
		expires_in = 1;
	bfs_secret_free(ts->token);
	ts->token = tok;
	ts->lifetime = (time_t)expires_in;
	ts->expires = time(NULL) + (time_t)expires_in;
	ts->fetches++;
	bfs_log(BFS_LOG_INFO, "OAuth2 token from %s, valid %llds", ts->describe,
		(long long)expires_in);
out:
	g_free(error);
	g_free(desc);
	g_object_unref(parser);
	return r;
}

/* POST or GET with a few quick retries of transport failures and 5xx. */
static int exchange(struct bfs_token_source *ts, const char *url, const char *post,
		    const struct bfs_header *hdrs, size_t nh, char *msg, size_t msglen)
{
	const struct bfs_retry_policy policy = {2, 200, 2000};
	struct bfs_http_request req = {.method = post ? "POST" : "GET",
				       .url = url,
				       .headers = hdrs,
				       .n_headers = nh,
				       .body_cap = TOKEN_BODY_CAP,
				       .post = post,
				       .post_len = post ? strlen(post) : 0};
	struct bfs_http_response resp = {0};
	int r = EIO;

	for (unsigned attempt = 0;; attempt++) {
		int t = bfs_http_perform(ts->http, &req, &resp);

		if (!t && !bfs_retry_status_retryable(resp.status)) {
			r = parse_token_answer(ts, &resp, url, msg, msglen);
			break;
		}
		if (attempt >= policy.max_retries) {
			if (t)
				snprintf(msg, msglen, "cannot reach the token endpoint %s: %s", url,
					 resp.error);
			else
				snprintf(msg, msglen, "the token endpoint %s failed: HTTP %ld", url,
					 resp.status);
			r = EIO;
			break;
		}
		g_usleep((gulong)bfs_retry_delay_ms(&policy, attempt + 1, resp.retry_after_s) *
			 1000);
	}
	if (resp.body)
		OPENSSL_cleanse(resp.body->data, resp.body->len);
	bfs_http_response_clear(&resp);
	return r;
}

static int fetch(struct bfs_token_source *ts, char *msg, size_t msglen)
{
	struct bfs_header form = {"content-type", "application/x-www-form-urlencoded"};
	char *body = NULL;
	int r;

	switch (ts->kind) {
	case BFS_TOKEN_METADATA: {
		struct bfs_header h = {"metadata-flavor", "Google"};

		return exchange(ts, ts->metadata_url, NULL, &h, 1, msg, msglen);
	}
	case BFS_TOKEN_KEY_FILE:
		if (ts->service_account) {
			char *jwt = bfs_token_jwt(ts, (long long)time(NULL));

			if (!jwt) {
				snprintf(msg, msglen, "cannot sign the JWT for %s", ts->describe);
				return EIO;
			}
			body = g_strdup_printf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-"
					       "type%%3Ajwt-bearer&assertion=%s",
					       jwt);
			bfs_secret_free(jwt);
		} else {
			char *id = form_escape(ts->client_id),
			     *sec = form_escape(ts->client_secret),
			     *ref = form_escape(ts->refresh_token);

			body = g_strdup_printf(
				"grant_type=refresh_token&client_id=%s&client_secret="
				"%s&refresh_token=%s",
				id, sec, ref);
			g_free(id);
			bfs_secret_free(sec);
			bfs_secret_free(ref);
		}
		r = exchange(ts, ts->token_uri, body, &form, 1, msg, msglen);
		bfs_secret_free(body);
		return r;
	default:
		return 0;
	}
}

/* A token file's current contents, when it changed. */
static int reload_file(struct bfs_token_source *ts, char *msg, size_t msglen)
{
	struct stat st;
	char *text = NULL;

	if (stat(ts->path, &st) != 0) {
		snprintf(msg, msglen, "token_file %s: %s", ts->path, g_strerror(errno));
		return ts->token ? 0 : ENOENT; /* keep serving the last good token */
	}
	if (ts->token && st.st_mtim.tv_sec == ts->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == ts->mtime.tv_nsec)
		return 0;
	if (!g_file_get_contents(ts->path, &text, NULL, NULL)) {
		snprintf(msg, msglen, "token_file %s cannot be read", ts->path);
		return ts->token ? 0 : EACCES;
	}
	g_strstrip(text);
	if (!*text) {
		snprintf(msg, msglen, "token_file %s is empty", ts->path);
		g_free(text);
		return ts->token ? 0 : EINVAL;
	}
	bfs_secret_free(ts->token);
	ts->token = text;
	ts->mtime = st.st_mtim;
	ts->fetches++;
	return 0;
}

int bfs_token_get(struct bfs_token_source *ts, char **token, char *msg, size_t msglen)
{
	int r = 0;

	*token = NULL;
	g_mutex_lock(&ts->lock);
	if (ts->kind == BFS_TOKEN_FILE) {
		r = reload_file(ts, msg, msglen);
	} else if (ts->kind != BFS_TOKEN_STATIC) {
		/* Refresh ahead of expiry: 5 minutes, or a quarter of a short life. */
		time_t margin = ts->lifetime > 1200 ? 300 : ts->lifetime / 4;

		if (!ts->token || time(NULL) + margin >= ts->expires) {
			r = fetch(ts, msg, msglen);
			/* A failed refresh keeps the old token while it is valid. */
			if (r && ts->token && time(NULL) < ts->expires) {
				bfs_log(BFS_LOG_WARN,
					"token refresh failed, keeping the current "
					"one: %s",
					msg);
				r = 0;
			}
		}
	}
	if (!r)
		*token = g_strdup(ts->token);
	g_mutex_unlock(&ts->lock);
	return r;
}

int bfs_token_source_create(const struct bfs_token_conf *conf, struct bfs_http *http,
			    struct bfs_token_source **out, char *msg, size_t msglen)
{
	struct bfs_token_source *ts = g_new0(struct bfs_token_source, 1);
	int r = 0;

	ts->kind = conf->kind;
	ts->http = http;
	ts->scope = g_strdup(conf->scope ? conf->scope : DEFAULT_SCOPE);
	g_mutex_init(&ts->lock);
	switch (conf->kind) {
	case BFS_TOKEN_STATIC:
		ts->token = g_strdup(conf->token);
		ts->describe = g_strdup("a given token");
		break;
	case BFS_TOKEN_FILE:
		ts->path = g_strdup(conf->path);
		ts->describe = g_strdup_printf("token_file %s", conf->path);
		r = reload_file(ts, msg, msglen);
		break;
	case BFS_TOKEN_KEY_FILE:
		r = load_key_file(ts, conf->path, conf->token_uri, msg, msglen);
		break;
	case BFS_TOKEN_METADATA:
		ts->metadata_url = g_strdup_printf(
			"http://%s" METADATA_PATH,
			conf->metadata_host ? conf->metadata_host : "metadata.google.internal");
		ts->describe = g_strdup_printf("the metadata server %s",
					       conf->metadata_host ? conf->metadata_host
								   : "metadata.google.internal");
		break;
	}
	if (r) {
		bfs_token_source_destroy(ts);
		return r;
	}
	*out = ts;
	return 0;
}

void bfs_token_source_destroy(struct bfs_token_source *ts)
{
	if (!ts)
		return;
	bfs_secret_free(ts->token);
	bfs_secret_free(ts->client_secret);
	bfs_secret_free(ts->refresh_token);
	g_free(ts->client_id);
	g_free(ts->client_email);
	g_free(ts->private_key_id);
	EVP_PKEY_free(ts->pkey);
	g_free(ts->token_uri);
	g_free(ts->scope);
	g_free(ts->path);
	g_free(ts->metadata_url);
	g_free(ts->describe);
	g_mutex_clear(&ts->lock);
	g_free(ts);
}

const char *bfs_token_source_describe(const struct bfs_token_source *ts)
{
	return ts->describe;
}

unsigned bfs_token_fetches(struct bfs_token_source *ts)
{
	unsigned n;

	g_mutex_lock(&ts->lock);
	n = ts->fetches;
	g_mutex_unlock(&ts->lock);
	return n;
}
