/*
 * keys.c - building and parsing RocksDB keys; the layouts are in keys.h.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

const char *const keys_cf_names[KEYS_CF_COUNT] = {
	[KEYS_CF_DEFAULT] = "default",
	[KEYS_CF_CATALOG] = "catalog",
	[KEYS_CF_HISTORY] = "history",
	[KEYS_CF_EVENTS] = "events",
	[KEYS_CF_CHUNKS] = "chunks",
	[KEYS_CF_CHUNKMETA] = "chunkmeta",
	[KEYS_CF_IDEM] = "idem",
	[KEYS_CF_LINEAGE] = "lineage",
	[KEYS_CF_AUDIT] = "audit",
};

void
keys_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
keys_put_u64(uint8_t *p, uint64_t v)
{
	keys_put_u32(p, (uint32_t)(v >> 32));
	keys_put_u32(p + 4, (uint32_t)v);
}

uint32_t
keys_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

uint64_t
keys_get_u64(const uint8_t *p)
{
	return (uint64_t)keys_get_u32(p) << 32 | keys_get_u32(p + 4);
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

size_t
keys_verkey(uint8_t *out, const mr_semver *v)
{
	uint8_t *p = out;
	const char *id = v->pre;

	keys_put_u32(p, v->major);
	keys_put_u32(p + 4, v->minor);
	keys_put_u32(p + 8, v->patch);
	p += 12;
	if (v->pre[0] == '\0') {
		*p++ = 0xff;
		return (size_t)(p - out);
	}
	for (;;) {
		size_t n = strcspn(id, ".");

		if (all_digits(id, n)) {
			uint32_t num = 0;
			/* mr_semver_parse bounds numeric ids to 9 digits. */
			for (size_t i = 0; i < n; i++)
				num = num * 10 + (uint32_t)(id[i] - '0');
			*p++ = 0x01;
			keys_put_u32(p, num);
			p += 4;
		} else {
			*p++ = 0x02;
			memcpy(p, id, n);
			p += n;
			*p++ = 0x00;
		}
		id += n;
		if (*id == '\0')
			break;
		id++;
	}
	*p++ = 0x00;
	assert((size_t)(p - out) <= KEYS_VERKEY_MAX);
	return (size_t)(p - out);
}

/*
 * Whether keys_verkey writes exactly k[0..n) for `v`. A key it would write
 * another way (digits or a '.' or a byte semver does not allow inside an
 * alphanumeric identifier, a ten-digit number, a text over MR_VERSION_MAX)
 * does not sort by precedence, so it is damage, not a version.
 */
static bool
verkey_canonical(const mr_semver *v, const uint8_t *k, size_t n)
{
	char text[MR_VERSION_MAX + 1];
	uint8_t again[KEYS_VERKEY_MAX];
	mr_semver p;

	mr_semver_format(v, text);
	return mr_semver_parse(text, &p, NULL) == MR_OK &&
	    keys_verkey(again, &p) == n && memcmp(again, k, n) == 0;
}

int
keys_verkey_decode(const uint8_t *k, size_t n, mr_semver *out)
{
	mr_semver v;
	size_t i = 12, len = 0;

	if (n < 13)
		return -1;
	memset(&v, 0, sizeof(v));
	v.major = keys_get_u32(k);
	v.minor = keys_get_u32(k + 4);
	v.patch = keys_get_u32(k + 8);
	if (k[12] == 0xff) {
		if (n != 13)
			return -1;
		*out = v;
		return 0;
	}
	while (i < n && k[i] != 0x00) {
		char buf[16];
		const char *text;
		size_t tn;

		if (len != 0) {
			if (len + 1 > MR_VERSION_MAX)
				return -1;
			v.pre[len++] = '.';
		}
		if (k[i] == 0x01) {
			if (n - i < 5)
				return -1;
			tn = (size_t)snprintf(buf, sizeof(buf), "%u",
			    keys_get_u32(k + i + 1));
			text = buf;
			i += 5;
		} else if (k[i] == 0x02) {
			const uint8_t *end = memchr(k + i + 1, 0x00, n - i - 1);
			if (end == NULL || end == k + i + 1)
				return -1;
			text = (const char *)k + i + 1;
			tn = (size_t)(end - (k + i + 1));
			i += tn + 2;
		} else {
			return -1;
		}
		if (len + tn > MR_VERSION_MAX)
			return -1;
		memcpy(v.pre + len, text, tn);
		len += tn;
	}
	if (len == 0 || i != n - 1)
		return -1;
	v.pre[len] = '\0';
	if (!verkey_canonical(&v, k, n))
		return -1;
	*out = v;
	return 0;
}

static size_t
put_name(uint8_t *p, const char *name)
{
	size_t n = strlen(name);

	assert(n <= MR_NAME_MAX);
	memcpy(p, name, n);
	p[n] = 0x00;
	return n + 1;
}

size_t
keys_model(uint8_t *out, const char *name)
{
	size_t n = strlen(name);

	assert(n <= MR_NAME_MAX);
	out[0] = KEYS_MODEL;
	memcpy(out + 1, name, n);
	return n + 1;
}

size_t
keys_version_prefix(uint8_t *out, int kind, const char *name)
{
	out[0] = (uint8_t)kind;
	return 1 + put_name(out + 1, name);
}

size_t
keys_version(uint8_t *out, int kind, const char *name, const mr_semver *v)
{
	size_t n = keys_version_prefix(out, kind, name);

	return n + keys_verkey(out + n, v);
}

size_t
keys_chunk_ref(uint8_t *out, const uint8_t digest[MR_DIGEST_LEN],
    const char *name, const mr_semver *v)
{
	size_t n;

	out[0] = KEYS_CHUNK_REF;
	memcpy(out + 1, digest, MR_DIGEST_LEN);
	if (name == NULL)
		return 1 + MR_DIGEST_LEN;
	n = 1 + MR_DIGEST_LEN;
	n += put_name(out + n, name);
	n += keys_verkey(out + n, v);
	assert(n <= KEYS_MAX);
	return n;
}

size_t
keys_stage_prefix(uint8_t *out, const char *name, int stage)
{
	size_t n = keys_version_prefix(out, KEYS_STAGE, name);

	out[n] = (uint8_t)stage;
	return n + 1;
}

size_t
keys_stage(uint8_t *out, const char *name, int stage, const mr_semver *v)
{
	size_t n = keys_stage_prefix(out, name, stage);

	return n + keys_verkey(out + n, v);
}

static size_t put_str(uint8_t *p, const char *s);

/* The tail shared by the search indexes: name [0x00 verkey]. */
static size_t
put_ref(uint8_t *out, const char *name, const mr_semver *v)
{
	size_t n = strlen(name);

	assert(n <= MR_NAME_MAX);
	memcpy(out, name, n);
	if (v == NULL)
		return n;
	out[n++] = 0x00;
	return n + keys_verkey(out + n, v);
}

size_t
keys_stage_all(uint8_t *out, int stage, const char *name, const mr_semver *v)
{
	out[0] = KEYS_STAGE_ALL;
	out[1] = (uint8_t)stage;
	return 2 + put_ref(out + 2, name, v);
}

size_t
keys_tag(uint8_t *out, const char *key, const char *value, const char *name,
    const mr_semver *v)
{
	size_t n = 1;

	out[0] = KEYS_TAG;
	n += put_str(out + n, key);
	n += put_str(out + n, value);
	return n + put_ref(out + n, name, v);
}

size_t
keys_version_all(uint8_t *out, const char *name, const mr_semver *v)
{
	out[0] = KEYS_VERSION;
	return 1 + put_ref(out + 1, name, v);
}

int
keys_ref_decode(const uint8_t *p, size_t n, char name[MR_NAME_MAX + 1],
    mr_semver *v)
{
	const uint8_t *z = memchr(p, 0x00, n);
	size_t len;

	if (z == NULL || (len = (size_t)(z - p)) == 0 || len > MR_NAME_MAX)
		return -1;
	memcpy(name, p, len);
	name[len] = '\0';
	return keys_verkey_decode(z + 1, n - len - 1, v);
}

size_t
keys_audit(uint8_t *out, uint64_t seq)
{
	out[0] = KEYS_AUDIT_LOG;
	keys_put_u64(out + 1, seq);
	return 9;
}

size_t
keys_audit_model(uint8_t *out, const char *model, uint64_t seq)
{
	size_t n;

	out[0] = KEYS_AUDIT_BY_MODEL;
	n = 1 + put_name(out + 1, model);
	if (seq == 0)
		return n;
	keys_put_u64(out + n, seq);
	return n + 8;
}

size_t
keys_history_prefix(uint8_t *out, const char *name)
{
	return put_name(out, name);
}

size_t
keys_history(uint8_t *out, const char *name, uint64_t rev)
{
	size_t n = put_name(out, name);

	keys_put_u64(out + n, rev);
	return n + 8;
}

size_t
keys_event(uint8_t *out, uint64_t rev)
{
	keys_put_u64(out, rev);
	return 8;
}

/* A string and a 0x00, for fields that are not model names. */
static size_t
put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	assert(n < KEYS_MAX / 2);
	memcpy(p, s, n);
	p[n] = 0x00;
	return n + 1;
}

size_t
keys_node(uint8_t *out, const char *id)
{
	size_t n = strlen(id);

	assert(n + 1 <= KEYS_MAX);
	out[0] = KEYS_NODE;
	memcpy(out + 1, id, n);
	return n + 1;
}

size_t
keys_edge(uint8_t *out, int dir, const char *a, int type, const char *b)
{
	size_t n = 1 + put_str(out + 1, a);

	out[0] = (uint8_t)dir;
	if (type == 0)
		return n;
	out[n++] = (uint8_t)type;
	if (b != NULL) {
		size_t bl = strlen(b);
		memcpy(out + n, b, bl);
		n += bl;
	}
	assert(n <= KEYS_MAX);
	return n;
}

int
keys_edge_decode(const uint8_t *k, size_t n, int *type, const char **far,
    size_t *far_len)
{
	const uint8_t *z = n > 1 ? memchr(k + 1, 0x00, n - 1) : NULL;

	if (z == NULL || (size_t)(z - k) + 2 >= n)
		return -1;
	*type = z[1];
	*far = (const char *)z + 2;
	*far_len = n - (size_t)(z - k) - 2;
	return 0;
}

size_t
keys_node_index(uint8_t *out, int idx, int kind, const char *key,
    const char *id)
{
	size_t n;

	out[0] = (uint8_t)idx;
	out[1] = (uint8_t)kind;
	n = 2 + put_str(out + 2, key);
	if (id != NULL) {
		size_t il = strlen(id);
		memcpy(out + n, id, il);
		n += il;
	}
	assert(n <= KEYS_MAX);
	return n;
}

size_t
keys_dangling(uint8_t *out, int kind, const char *ref, int field,
    const char *model_id)
{
	size_t n;

	out[0] = KEYS_DANGLING;
	out[1] = (uint8_t)kind;
	n = 2 + put_str(out + 2, ref);
	if (model_id == NULL)
		return n;
	out[n++] = (uint8_t)field;
	memcpy(out + n, model_id, strlen(model_id));
	n += strlen(model_id);
	assert(n <= KEYS_MAX);
	return n;
}

void
keys_chunkmeta_encode(uint8_t out[KEYS_CHUNKMETA_LEN], const keys_chunkmeta *m)
{
	out[0] = KEYS_CHUNKMETA_FORMAT;
	out[1] = (uint8_t)m->encoding;
	out[2] = 0;
	out[3] = 0;
	keys_put_u32(out + 4, m->raw_len);
	keys_put_u32(out + 8, m->stored_len);
	keys_put_u64(out + 12, (uint64_t)m->touched_at_ms);
}

int
keys_chunkmeta_decode(const uint8_t *p, size_t n, keys_chunkmeta *out)
{
	if (n != KEYS_CHUNKMETA_LEN || p[0] != KEYS_CHUNKMETA_FORMAT)
		return -1;
	out->encoding = p[1];
	out->raw_len = keys_get_u32(p + 4);
	out->stored_len = keys_get_u32(p + 8);
	out->touched_at_ms = (int64_t)keys_get_u64(p + 12);
	return 0;
}
