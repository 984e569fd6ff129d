/*
 * cdc.c - FastCDC content-defined chunking with a gear rolling hash.
 *
 * The gear hash is h = (h << 1) + gear[byte]: one shift and one add a
 * byte, with a table lookup that does not depend on h. The shift ages
 * every byte out after 64 steps, which makes h a hash of the last 64 bytes
 * without ever subtracting anything. Bit k of h depends only on the last
 * k + 1 bytes, so the masks test the top bits, each of which sees at least
 * the last 43 bytes; low bits would cut on a handful of bytes.
 *
 * A cut falls after the byte whose hash has all masked bits zero. Between
 * MR_CDC_MIN and MR_CDC_NORMAL the mask has 22 bits (a cut every 4 MiB of
 * random data on average), past MR_CDC_NORMAL 18 bits (every 256 KiB):
 * FastCDC's normalized chunking at level 2 around a 1 MiB (2^20) target.
 * The first MR_CDC_MIN - 1 bytes of a chunk are skipped unhashed and the
 * hash starts from zero after them, so a cut point is a function of the
 * chunk's own bytes only.
 *
 * None of this may change once chunks are stored: see cdc.h.
 */
#include "cdc.h"

/* 22 and 18 top bits: 2^20 scaled by 4 and by 1/4 (normalization level 2). */
#define MASK_HARD (~UINT64_C(0) << (64 - 22))
#define MASK_EASY (~UINT64_C(0) << (64 - 18))

/*
 * Hides a value's origin from the optimizer. Without it GCC re-associates
 * 4 h + (2 g0 + g1) into (4 h + g1) + 2 g0, putting both additions back on
 * the loop-carried chain and giving up the speed of scan()'s two-byte
 * step. It changes no result.
 */
#if defined(__GNUC__)
#define OPAQUE(v) __asm__("" : "+r"(v))
#else
#define OPAQUE(v) ((void)(v))
#endif

/*
 * 256 outputs of splitmix64 (Steele, Lea and Flood's generator, as in
 * java.util.SplittableRandom) seeded with 0x6d6f64656c726567 ("modelreg"
 * in ASCII), in order. Written out rather than computed at start-up so
 * that it is plainly constant and needs no initialization; test_cdc.c
 * regenerates it and compares. NEVER EDIT: every stored chunk boundary
 * depends on these numbers. (Three to a line, so clang-format is off.)
 */
/* clang-format off */
const uint64_t mr_cdc_gear[256] = {
	0xd8686196e3bc5c35, 0x67e1657799023ca7, 0xe65a1e0796fd7380,
	0xee49022b5f698251, 0xb1ab2a92a23ba76d, 0xecb078937c232122,
	0x5492edf2906850b7, 0xd16cd2d64dfd73ea, 0x76121ca7017cb862,
	0xe8fe0fb7abe872b0, 0x9e8a7a25529c483a, 0x2f30e37d1fcb0369,
	0x532f8c4d4f1ca534, 0xbfa8604a452c9801, 0x00b61b5cdce60bb5,
	0x987a160fcfb02104, 0xc0ef0c4481cc20eb, 0xbe8a252c9fd225f4,
	0x40838f59abee80d9, 0x1823238cdab28b5d, 0x84d6991e2d429b6a,
	0x51233a7b155a129b, 0x78a6d90027e1b764, 0x8b3f14117b973a54,
	0x16198ea5808766ec, 0x6055cfbcd10ab599, 0xa93a2a01330f6bbb,
	0x7941169c2d0a6f6f, 0x60d26e8f55b8494a, 0x2c2cc16227baabd7,
	0x39e35f4183352e65, 0x5057cae95e4446dd, 0x9fb133432b583504,
	0x2bf4b0242767a6eb, 0x15758e78c01bacc2, 0xab2e7d32b62d512a,
	0xad237082112887d7, 0x86e8d370d5d487a8, 0xa6e663b17f0fc321,
	0x5a7c2f0d55513465, 0x024b5879b98bedce, 0x2cde9c51f8d218e2,
	0xab70cb832862ae2c, 0x6f1133663d487aba, 0x74914fb22e5574a4,
	0xedd031077b066f58, 0x7558006956ce5232, 0x61b8908f0d94c261,
	0xf99dc3e32f77aa55, 0xb6740f370eabe138, 0x9324c9cb302a3228,
	0x9a803fd6986474a0, 0xa821e1df9ce6bd0f, 0x32aebc1ed626c27a,
	0x2db529d1e4293c82, 0x974d5d6aa3832dd6, 0x19c0a276793d3e7d,
	0x43b6e4fe79cb6bf4, 0x8947e18184eccd49, 0x0f3d435d21272e14,
	0x925e86c8dfa3ded0, 0x99d2701426faae5c, 0x2e7c1beb24525597,
	0xf491897ef74a4b3d, 0xb8779b0adf78be0c, 0x61710fe44e7eb475,
	0xff0a04452249f0ae, 0x16f082095c28362c, 0xb9e57ec704d45cf6,
	0x9126b5ea50238446, 0x2f58d49106386b34, 0xa16d637ad4bb2d53,
	0x9a61389589cf9e33, 0x98f068786e2b738d, 0x3463d713caf370fe,
	0x52bf0b06cc07e0f2, 0x6db7656605a138ee, 0x52719275725b2d2f,
	0x9a349c1f15e091b1, 0x74919243e2254979, 0x14640bf63cc435ef,
	0xd5e786bfc29ba80c, 0xb0e9c70a0c3de92d, 0x35f3e4b734745c6e,
	0x96c13cca5ccf5e19, 0xe005f5bbd89e0588, 0xdc7abfeb47fd62b8,
	0xd5918e434af8a945, 0x999cb2a4601bff51, 0x0a78b455d62e4cab,
	0xc01bf58303af83be, 0xabaf6de1f2394dfc, 0x2542ba17a93aec39,
	0xad932756fd745406, 0x88a46516cee96b6d, 0xe831f33446cab47e,
	0xddd613bddfbc853f, 0x7fb79177390b3b10, 0x7da0cb63f16426cf,
	0xe770a5e9f059781c, 0x741e953058a971e6, 0x4aaf967088fbbaff,
	0x94e4bd365b3a9de8, 0x7fc1c54b2e07ed3d, 0x6ae709962d1092d0,
	0xab5cfe04d6f04c62, 0x725fad511a18e0a1, 0xf0c2463d20f50a42,
	0xee1e38bc9a7a8d74, 0x3b32abd4863fea1f, 0x05244f9d75608bed,
	0x762f8ca45e8f4f37, 0xe9047161ef8bd21a, 0xd6b2b61feeecbf3f,
	0x5bffddeb7242f56e, 0xd54a7d1f0140ac7b, 0x53234aa98b19c9e0,
	0x09285d02941d3050, 0x48e09a9624524bbe, 0x0e32fa6d3e4afba7,
	0x25890b838b11236e, 0x1c6b8fc527a3d3e8, 0x90b5e5c89145cdd9,
	0xdff9919ed4434e30, 0x7fef84778f7337c9, 0x7630bf16b8fa1992,
	0x23a454f2f7be7f22, 0xc8b885fd6e31eb39, 0xc8c12bb3ac18a5d3,
	0xf285d0d064e9f746, 0xcc874e962675a6c7, 0x887af1517587152d,
	0x0481d8dbd3805f2a, 0x25bcd9d884050fc1, 0xb6a31529b6e19459,
	0xb47dc858d666820f, 0x0967fd49fa973fba, 0xf6fcb4a9dd76232f,
	0x76975316438f4cde, 0xecb89da615d89be5, 0x07352c29dc574221,
	0x84ca7d8b09524eb9, 0x8b0b7945be1d696f, 0xb40a57a8ddc44be1,
	0xca6117746ff11797, 0x3ecc4313814b6f68, 0x1326ab3936ccc540,
	0x3f39f18662022cab, 0x8047cadd8be7adc7, 0x6e9645cb0e12057c,
	0x4ef0aed2c0009b81, 0x74bbbc29556f0b09, 0xac0e0fa0198c78fe,
	0x325b107b693bff4b, 0x8872f8616860cf9c, 0x8a5d4a31ae43c09d,
	0x8c5638e466585400, 0x8531fe8f5cf80f9e, 0xf50100424ee9b860,
	0x8cababe3157cd0b1, 0x22db1775b2868be9, 0xe967801e99dd47d0,
	0xdd505ff784ea7e1e, 0x2e1652d8365da520, 0x77d02ef26032eab5,
	0x57e90b6c460d8402, 0x580cd9961dc1ea87, 0x9f18bb5383acf2e8,
	0x60920fdd678699d2, 0x0f144e73687cae23, 0xa2787f3999709364,
	0xe047e3c522b4c20a, 0x61f69509705ff24c, 0x097f2a368a32ff7f,
	0x82ef6f229ce99f76, 0x123dd08fae148785, 0x62b8e6c5db3b0da5,
	0xf32aa0855289519f, 0xe0644c9095863294, 0x51d4886cf3d54a46,
	0x8402cd747f891e2b, 0xf2e1a236ea4c61e1, 0x29d7c25647e51cae,
	0x2e582f75d822266e, 0x8645bb153f40bb91, 0xd6675919da463efb,
	0x6c0e65e51dd414f3, 0x596e0c72aa804738, 0x27b214ef4cc1d32e,
	0x9deb10b9993fa217, 0x0d93e11254aacaa2, 0xab800162b480d79e,
	0xdf47dc95fc5330c3, 0xeb3149722859e726, 0xcdadc9ff6f927c51,
	0xaac3e94f4432bf5a, 0x63878965ca83e9fa, 0x8b59f884088b27d1,
	0xb6ae17187fda56b6, 0x1ce8edd69348b1d8, 0xe731f9534477b945,
	0xd1965ac4225ba19a, 0xd46d90e78ce30e04, 0xcdc44c9c7d46a102,
	0xbcb27a302d243555, 0x16efc8517d49f6d5, 0x98b75b49e056cb2c,
	0x0f02c2822483a8d0, 0x74dbd3b5945d3818, 0x8bdb4f87214f30c5,
	0x96fdfc4337f6d7fb, 0x45e0f229759adcc9, 0x2b3383ca360fc329,
	0xc7a6cf679eef82f2, 0x26dbae50f86a174e, 0x5525fabfa050f3ab,
	0x886699bbb6fca6ff, 0xcff6892f9767134c, 0x894672c19b239128,
	0x79fed0f9673459c5, 0x09c21e30a0e7d9e3, 0x72551742bea1c1cf,
	0x8f9f9461bf2ad25f, 0xbf864a7259ad5d30, 0x7ffddd06778a3387,
	0x74298bd820f9ce35, 0x2c03182046f79dce, 0x82248da49131e3d4,
	0x00a19ee8c4f497ff, 0x8f750e8e0f17406b, 0x39c2d33be0a03e20,
	0x2dec0bc4fcf19769, 0x4f7be0fbe5c4b527, 0x729c16477a46e347,
	0xdba7da272fa061b6, 0x7a59360418090a04, 0xbea0e3208f24a3fb,
	0xbf8af6a82a9af3e7, 0xb37aded03e8260b1, 0x0cc5ac52c7396c88,
	0x329eb1f86df43c8f, 0x3bdaaeb0ba250a44, 0x6dc3762e16e15be9,
	0x4fee8c1f046e6eb7, 0xc3293b3d433551c2, 0xea1345e9c97f435d,
	0x0a27b5305f5dc3dc, 0x5489f32a7ad6fac8, 0x5776d81da596b106,
	0xad253271207c5fbf, 0xfcb79550cedaddd6, 0xfbe0877271ca4fa3,
	0x7f4b7a311756f212, 0x0136eec7e2c3173d, 0x792f174f4907bf06,
	0xfba2018178f35301,
};
/* clang-format on */

/*
 * Runs the hash over p[i..end) from state *h and returns the length of the
 * chunk that ends at the first byte whose hash has no bit of `mask` set,
 * or 0 if none does (then *h is the state at end).
 *
 * Two bytes a round, as FastCDC's 2020 paper suggests, but without
 * changing the hash: with g0, g1 the gear values of bytes i and i + 1,
 *   h(i)     = 2 h(i - 1) + g0
 *   h(i + 1) = 4 h(i - 1) + (2 g0 + g1)
 * so the chain from one round to the next is a single shift-and-add per
 * two bytes, and h(i), needed only for its test, is computed beside it.
 * That halves the loop-carried latency, which is what bounds a byte at a
 * time: 3.5 GB/s instead of 1.8 here, and every byte is still tested.
 */
static inline size_t
scan(const uint8_t *p, size_t i, size_t end, uint64_t mask, uint64_t *h)
{
	uint64_t x = *h;

	for (; end - i >= 2; i += 2) {
		uint64_t g0 = mr_cdc_gear[p[i]], g1 = mr_cdc_gear[p[i + 1]];
		uint64_t first = (x << 1) + g0, pair = (g0 << 1) + g1;

		OPAQUE(pair);
		x = (x << 2) + pair;
		if ((first & mask) == 0)
			return i + 1;
		if ((x & mask) == 0)
			return i + 2;
	}
	if (i < end) {
		x = (x << 1) + mr_cdc_gear[p[i]];
		if ((x & mask) == 0)
			return i + 1;
	}
	*h = x;
	return 0;
}

size_t
mr_cdc_cut_more(const uint8_t *p, size_t n, bool at_eof, size_t seen)
{
	size_t end = n < MR_CDC_MAX ? n : MR_CDC_MAX;
	size_t normal = end < MR_CDC_NORMAL ? end : MR_CDC_NORMAL;
	size_t from = MR_CDC_MIN - 1;
	uint64_t h = 0;
	size_t len;

	/* A chunk is never shorter than MR_CDC_MIN, except the file's last. */
	if (n <= MR_CDC_MIN)
		return at_eof ? n : 0;
	/* h is a hash of the last 64 bytes only, so rehashing the 64 bytes
	 * before `seen` gives the state a scan from the start had there;
	 * no byte before `seen` is a cut point (the caller was told so). */
	if (seen > n)
		seen = n;
	if (seen >= from + 64) {
		for (size_t i = seen - 64; i < seen; i++)
			h = (h << 1) + mr_cdc_gear[p[i]];
		from = seen;
	}
	/* The byte that completes a cut point is the chunk's last, so the
	 * bytes that decided the cut are all in the chunk. */
	if (from < normal &&
	    (len = scan(p, from, normal, MASK_HARD, &h)) != 0)
		return len;
	if ((len = scan(p, from > normal ? from : normal, end, MASK_EASY,
	         &h)) != 0)
		return len;
	/* No cut point: a full chunk, the rest of the file, or not known
	 * until more bytes come. */
	if (end == MR_CDC_MAX || at_eof)
		return end;
	return 0;
}

size_t
mr_cdc_cut(const uint8_t *p, size_t n, bool at_eof)
{
	return mr_cdc_cut_more(p, n, at_eof, 0);
}
