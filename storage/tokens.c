/*
 * tokens.c - token records, in the default column family under "token/".
 */
#include <stdio.h>
#include <string.h>

#include "storeint.h"

static size_t
token_key(uint8_t *out, const char *id)
{
	size_t plen = strlen(KEYS_TOKEN_PREFIX), n = strlen(id);

	if (n > KEYS_MAX - plen)
		n = KEYS_MAX - plen;
	memcpy(out, KEYS_TOKEN_PREFIX, plen);
	memcpy(out + plen, id, n);
	return plen + n;
}

mr_status
store_get_token(store *s, const char *id, mr_pb_token **out, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t klen = token_key(key, id);

	return store_get_pb(s, NULL, KEYS_CF_DEFAULT, key, klen,
	    &modelreg__v1__token__descriptor, (ProtobufCMessage **)out, e);
}

mr_status
store_txn_put_token(store_txn *t, const mr_pb_token *tok, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t klen = token_key(key, tok->id);

	return store_txn_put_pb(t, KEYS_CF_DEFAULT, key, klen, &tok->base, e);
}

struct token_fwd {
	store_token_fn fn;
	void *arg;
};

static int
token_one(void *arg, ProtobufCMessage *m)
{
	struct token_fwd *f = arg;

	return f->fn(f->arg, (mr_pb_token *)m);
}

mr_status
store_scan_tokens(store *s, store_token_fn fn, void *arg, mr_err *e)
{
	struct token_fwd f = { fn, arg };
	const store_range r = {
		.cf = KEYS_CF_DEFAULT,
		.prefix = (const uint8_t *)KEYS_TOKEN_PREFIX,
		.plen = strlen(KEYS_TOKEN_PREFIX),
	};

	return store_scan_records(s, &r, &modelreg__v1__token__descriptor,
	    token_one, &f, e);
}

bool
store_tokens_bootstrapped(store *s)
{
	char *err = NULL;
	size_t len;
	char *v = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_DEFAULT],
	    KEYS_TOKENS_BOOTSTRAPPED, strlen(KEYS_TOKENS_BOOTSTRAPPED), &len,
	    &err);

	if (err != NULL) {
		/* Unreadable: say yes, so that no second first token is
		 * handed out; the read error will show elsewhere. */
		rocksdb_free(err);
		return true;
	}
	rocksdb_free(v);
	return v != NULL;
}

void
store_txn_mark_bootstrapped(store_txn *t)
{
	rocksdb_writebatch_put_cf(t->wb, t->s->cf[KEYS_CF_DEFAULT],
	    KEYS_TOKENS_BOOTSTRAPPED, strlen(KEYS_TOKENS_BOOTSTRAPPED), "", 0);
}
