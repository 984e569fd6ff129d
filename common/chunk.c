/*
 * chunk.c - SHA-256 (OpenSSL libcrypto) and the chunk codec (zstd).
 *
 * libcrypto's SHA-256 uses the CPU's SHA extensions (~1.4 GB/s per core
 * here), ten times coreutils' portable code, so it is the one we use. A
 * codec holds one compression context, one decompression context and two
 * digest contexts, all reused across chunks. Decoding is one-shot into a
 * buffer of the declared raw length, so a hostile frame can never make it
 * write or allocate more than MR_CHUNK_MAX; a frame whose header asks for
 * more (a larger content size or window) is refused before decoding.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
/* For ZSTD_getFrameHeader (the window a frame declares), which libzstd
 * exports but zstd.h keeps among its experimental declarations. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "chunk.h"

struct mr_codec {
	EVP_MD *sha256; /* fetched once: OpenSSL 3 looks it up per Init */
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	EVP_MD_CTX *md;      /* one-shot digests of chunks */
	EVP_MD_CTX *stream;  /* incremental digests of files */
};

mr_codec *
mr_codec_create(void)
{
	mr_codec *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->md = EVP_MD_CTX_new();
	c->stream = EVP_MD_CTX_new();
	if (c->sha256 == NULL || c->cctx == NULL || c->dctx == NULL ||
	    c->md == NULL ||
	    c->stream == NULL)
		goto err_ctx;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx,
		ZSTD_c_compressionLevel, MR_ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx,
		ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(c->dctx,
		ZSTD_d_windowLogMax, MR_ZSTD_WINDOW_LOG_MAX)))
		goto err_ctx;
	return c;

err_ctx:
	mr_codec_free(c);
	return NULL;
}

void
mr_codec_free(mr_codec *c)
{
	if (c == NULL)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	EVP_MD_CTX_free(c->md);
	EVP_MD_CTX_free(c->stream);
	EVP_MD_free(c->sha256);
	free(c);
}

void
mr_sha256(mr_codec *c, const void *data, size_t len,
    uint8_t out[MR_DIGEST_LEN])
{
	unsigned int n = 0;

	/* These fail only on allocation failure inside OpenSSL; an
	 * unfinished digest never matches, so callers fail safe. */
	if (EVP_DigestInit_ex(c->md, c->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(c->md, data, len) != 1 ||
	    EVP_DigestFinal_ex(c->md, out, &n) != 1)
		memset(out, 0, MR_DIGEST_LEN);
}

void
mr_sha256_once(const void *data, size_t len, uint8_t out[MR_DIGEST_LEN])
{
	unsigned int n = MR_DIGEST_LEN;

	/* Fails only when out of memory; a zero digest then never matches. */
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, MR_DIGEST_LEN);
}

void
mr_sha256_begin(mr_codec *c)
{
	EVP_DigestInit_ex(c->stream, c->sha256, NULL);
}

void
mr_sha256_update(mr_codec *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->stream, data, len);
}

void
mr_sha256_end(mr_codec *c, uint8_t out[MR_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c->stream, out, &n) != 1)
		memset(out, 0, MR_DIGEST_LEN);
}

size_t
mr_chunk_encode_bound(size_t len)
{
	return ZSTD_compressBound(len);
}

/* Whether compressing `n` bytes into `packed` pays for decoding them. */
static bool
pays(size_t packed, size_t n)
{
	return packed <= n - n / MR_ZSTD_MIN_SAVING && n >= 64;
}

mr_status
mr_chunk_encode(mr_codec *c, const void *src, size_t len, void *dst,
    size_t cap, int *enc, const void **out, size_t *out_len, mr_err *e)
{
	size_t n;

	/* A sample from the middle first: float32 weights are most of what
	 * is pushed, zstd compresses them at ~350 MB/s to save ~8%, and
	 * one 64 KiB trial tells as much as the whole chunk would. */
	if (len >= 4 * MR_ZSTD_SAMPLE) {
		const char *mid = (const char *)src + len / 2;
		n = ZSTD_compress2(c->cctx, dst, cap, mid, MR_ZSTD_SAMPLE);
		if (!ZSTD_isError(n) && !pays(n, MR_ZSTD_SAMPLE)) {
			*enc = MR_ENC_RAW;
			*out = src;
			*out_len = len;
			return MR_OK;
		}
	}
	n = ZSTD_compress2(c->cctx, dst, cap, src, len);

	if (ZSTD_isError(n))
		return mr_fail(e, MR_INTERNAL, "zstd compression failed: %s",
		    ZSTD_getErrorName(n));
	if (pays(n, len)) {
		*enc = MR_ENC_ZSTD;
		*out = dst;
		*out_len = n;
	} else {
		*enc = MR_ENC_RAW;
		*out = src;
		*out_len = len;
	}
	return MR_OK;
}

mr_status
mr_chunk_decode(mr_codec *c, int enc, const void *data, size_t len,
    uint32_t raw_len, const uint8_t digest[MR_DIGEST_LEN], void *dst,
    const void **out, mr_err *e)
{
	uint8_t got[MR_DIGEST_LEN];
	const void *bytes;

	if (raw_len == 0 || raw_len > MR_CHUNK_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "chunk length %u is outside 1..%u", raw_len, MR_CHUNK_MAX);
	switch (enc) {
	case MR_ENC_RAW:
		if (len != raw_len)
			return mr_fail(e, MR_DATA_LOSS,
			    "raw chunk holds %zu bytes, expected %u", len,
			    raw_len);
		bytes = data;
		break;
	case MR_ENC_ZSTD: {
		ZSTD_frameHeader fh;
		size_t n = ZSTD_getFrameHeader(&fh, data, len);

		/* Refuse before decoding: a frame that claims more than the
		 * chunk may hold is hostile or damaged. */
		if (ZSTD_isError(n) || n > 0 || fh.frameType != ZSTD_frame)
			return mr_fail(e, MR_DATA_LOSS,
			    "chunk is not a zstd frame");
		if (fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN &&
		    fh.frameContentSize != raw_len)
			return mr_fail(e, MR_DATA_LOSS,
			    "zstd frame declares %llu bytes, expected %u",
			    fh.frameContentSize, raw_len);
		/* The dctx's windowLogMax refuses such a frame only when
		 * streaming: one-shot decoding (ZSTD_decompressDCtx) does
		 * not look at it (zstd 1.5.4), so we do. */
		if (fh.windowSize > (1ull << MR_ZSTD_WINDOW_LOG_MAX))
			return mr_fail(e, MR_DATA_LOSS,
			    "zstd frame declares a window of %llu bytes; "
			    "chunks allow at most %llu",
			    fh.windowSize, 1ull << MR_ZSTD_WINDOW_LOG_MAX);
		n = ZSTD_decompressDCtx(c->dctx, dst, raw_len, data, len);
		if (ZSTD_isError(n))
			return mr_fail(e, MR_DATA_LOSS,
			    "zstd frame does not decode: %s",
			    ZSTD_getErrorName(n));
		if (n != raw_len)
			return mr_fail(e, MR_DATA_LOSS,
			    "zstd frame decodes to %zu bytes, expected %u", n,
			    raw_len);
		bytes = dst;
		break;
	}
	default:
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "unknown chunk encoding %d", enc);
	}
	mr_sha256(c, bytes, raw_len, got);
	if (memcmp(got, digest, MR_DIGEST_LEN) != 0) {
		char want_hex[65], got_hex[65];
		return mr_fail(e, MR_DATA_LOSS,
		    "chunk %s does not match its digest (got %s)",
		    mr_digest_hex(digest, want_hex), mr_digest_hex(got, got_hex));
	}
	*out = bytes;
	return MR_OK;
}
