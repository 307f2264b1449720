// SPDX-License-Identifier: MIT
/*
 * SigV4: canonical request -> string to sign -> HMAC chain -> signature.
 *
 * S3 specifics honoured here: the path is never normalised and is used as
 * sent (S3 does not double-encode), valueless query parameters become
 * "name=", and every header the transport sends is signed, so that nothing
 * the server sees differs from what was signed.
 */
#include "bucketfs/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int unreserved(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

void bfs_uri_encode(GString *out, const char *s, size_t len, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			g_string_append_c(out, (char)c);
		} else {
			g_string_append_c(out, '%');
			g_string_append_c(out, hex[c >> 4]);
			g_string_append_c(out, hex[c & 15]);
		}
	}
}

struct enc_param {
	char *name;
	char *value;
};

static int cmp_param(const void *a, const void *b)
{
	const struct enc_param *pa = a, *pb = b;
	int r = strcmp(pa->name, pb->name);

	return r ? r : strcmp(pa->value, pb->value);
}

char *bfs_sigv4_canonical_query(const struct bfs_query_param *params, size_t n)
{
	struct enc_param *enc = g_new0(struct enc_param, n ? n : 1);
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		GString *name = g_string_new(NULL), *value = g_string_new(NULL);
		const char *v = params[i].value ? params[i].value : "";

		bfs_uri_encode(name, params[i].name, strlen(params[i].name), 0);
		bfs_uri_encode(value, v, strlen(v), 0);
		enc[i].name = g_string_free(name, FALSE);
		enc[i].value = g_string_free(value, FALSE);
	}
	qsort(enc, n, sizeof(*enc), cmp_param);
	for (size_t i = 0; i < n; i++) {
		if (i)
			g_string_append_c(out, '&');
		g_string_append_printf(out, "%s=%s", enc[i].name, enc[i].value);
		g_free(enc[i].name);
		g_free(enc[i].value);
	}
	g_free(enc);
	return g_string_free(out, FALSE);
}

void bfs_sigv4_amz_date(long long unix_time, char buf[17])
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void bfs_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, hex);
}

static int hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int outlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out,
		  &outlen))
		return -1;
	return outlen == 32 ? 0 : -1;
}

struct canon_header {
	char *name;  /* lower-cased */
	char *value; /* trimmed, inner runs of spaces collapsed */
};

static int cmp_header(const void *a, const void *b)
{
	return strcmp(((const struct canon_header *)a)->name,
		      ((const struct canon_header *)b)->name);
}

static char *canon_value(const char *v)
{
	GString *s = g_string_new(NULL);
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space && s->len)
			g_string_append_c(s, ' ');
		space = 0;
		g_string_append_c(s, *v);
	}
	return g_string_free(s, FALSE);
}

char *bfs_sigv4_authorization(const struct bfs_sigv4_request *req, const struct bfs_sigv4_key *key,
			      char **canonical_out)
{
	struct canon_header *hs = g_new0(struct canon_header, req->n_headers ? req->n_headers : 1);
	GString *canon = g_string_new(NULL), *signed_headers = g_string_new(NULL);
	char date[9], hash_hex[65], sig_hex[65], *sts = NULL, *kdate = NULL, *result = NULL;
	unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];

	for (size_t i = 0; i < req->n_headers; i++) {
		hs[i].name = g_ascii_strdown(req->headers[i].name, -1);
		hs[i].value = canon_value(req->headers[i].value);
	}
	qsort(hs, req->n_headers, sizeof(*hs), cmp_header);

	g_string_append_printf(canon, "%s\n%s\n%s\n", req->method, req->encoded_path,
			       req->canonical_query ? req->canonical_query : "");
	for (size_t i = 0; i < req->n_headers; i++) {
		g_string_append_printf(canon, "%s:%s\n", hs[i].name, hs[i].value);
		if (i)
			g_string_append_c(signed_headers, ';');
		g_string_append(signed_headers, hs[i].name);
	}
	g_string_append_printf(canon, "\n%s\n%s", signed_headers->str, req->payload_hash);

	memcpy(date, req->amz_date, 8);
	date[8] = '\0';
	bfs_sha256_hex(canon->str, canon->len, hash_hex);
	sts = g_strdup_printf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", req->amz_date,
			      date, key->region, key->service, hash_hex);

	kdate = g_strdup_printf("AWS4%s", key->secret_key);
	if (hmac(kdate, strlen(kdate), date, k1) || hmac(k1, 32, key->region, k2) ||
	    hmac(k2, 32, key->service, k3) || hmac(k3, 32, "aws4_request", k4) ||
	    hmac(k4, 32, sts, sig))
		goto out;
	to_hex(sig, 32, sig_hex);
	result = g_strdup_printf(
		"AWS4-HMAC-SHA256 "
		"Credential=%s/%s/%s/%s/aws4_request,SignedHeaders=%s,Signature=%s",
		key->access_key, date, key->region, key->service, signed_headers->str, sig_hex);
out:
	/* The derived keys are as sensitive as the secret itself. */
	OPENSSL_cleanse(kdate, strlen(kdate));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(k4, sizeof(k4));
	g_free(kdate);
	g_free(sts);
	for (size_t i = 0; i < req->n_headers; i++) {
		g_free(hs[i].name);
		g_free(hs[i].value);
	}
	g_free(hs);
	g_string_free(signed_headers, TRUE);
	if (canonical_out)
		*canonical_out = g_string_free(canon, FALSE);
	else
		g_string_free(canon, TRUE);
	return result;
}
