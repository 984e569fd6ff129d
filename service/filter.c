/*
 * filter.c - the SearchVersions filter language and order_by clauses:
 * a recursive-descent parser into a small node array, matching, the index
 * plan, and order-preserving sort keys.
 *
 * Grammar (proto/registry.proto):
 *   expr   := term { OR term }        term := factor { AND factor }
 *   factor := NOT factor | '(' expr ')' | field op value | field EXISTS
 *   op     := = | != | < | <= | > | >= | GLOB | CONTAINS
 *   value  := 'text' | "text" | number | bareword
 * Keywords (AND OR NOT GLOB CONTAINS EXISTS TRUE FALSE ASC DESC) are
 * case-insensitive; field names and keys are not. Quoted strings take the
 * escapes \' \" and \\ (any other backslash is an error). A number is what
 * strtod(3) reads, finite, and not followed by a bareword character.
 * A bareword is [A-Za-z0-9_.:/+-]+ (production, 3.1.0,
 * 2024-01-15T10:00:00+02:00). A field is a bareword: name, version, stage,
 * description, created_by, created_at, framework, framework_version,
 * python_version, experiment, training_data_version, feature_set_version,
 * increment, parent_model, deprecated, features, alias, or metrics.K,
 * tags.K (version tags), model.tags.K, hyperparameters.K (params.K), where
 * K is the rest of the bareword.
 *
 * Meaning:
 * - name: = and != are shell glob matches (fnmatch(3), no flags) when the
 *   value holds * ? or [; GLOB always is; CONTAINS is a substring; < <= >
 *   >= compare bytewise. Names never compare as numbers.
 * - version: = != < <= > >= by semantic version precedence (the value must
 *   be a version); GLOB matches the version's text.
 * - stage: = and != against a stage name (dev, staging, production,
 *   archived, or prod, stage, ...).
 * - created_at: = != < <= > >= against an RFC 3339 time, to the
 *   millisecond (use a range for "on that day").
 * - metrics.K: = != < <= > >= against a number.
 * - tags.K, model.tags.K, hyperparameters.K and the plain string fields:
 *   = != < <= > >= bytewise, GLOB, CONTAINS; but when the value is an
 *   unquoted number and the stored string is wholly a number, = != < <= >
 *   >= compare numerically ("6" = 6.0). Quote a value to compare text.
 * - deprecated = true|false; features = 'x' (or CONTAINS 'x', GLOB 'x*'):
 *   some feature is x; alias = 'champion': the model's alias points at
 *   this version. != negates these.
 * - K EXISTS for metrics.K, tags.K, model.tags.K, hyperparameters.K.
 * - A comparison on a metric or key the version lacks is false whatever
 *   the operator, != included; NOT inverts it. Absent metadata strings are
 *   "".
 * Limits: MR_FILTER_MAX bytes of text, FILTER_DEPTH_MAX levels of '(' and
 * NOT, FILTER_CMP_MAX comparisons. Errors name the 1-based byte position
 * of the offending token, or the text's length + 1 when it ended early.
 *
 * order_by is "field [ASC|DESC], ..." over the orderable fields (filter.h),
 * at most FILTER_ORDER_MAX terms, always followed by name then version.
 * Sort keys concatenate one encoding per term, each prefix-free so that
 * memcmp decides at the first differing term: doubles as 8 bytes whose
 * unsigned order is numeric order, times and stages as big-endian
 * integers, versions as keys_verkey(), strings (cut at MR_STRING_MAX
 * bytes) with a 0x00 0x01 terminator (C strings hold no 0x00, which
 * would need escaping as 0x00 0xFF). DESC
 * inverts a term's bytes. Metric and key terms start with a presence byte
 * outside the inversion, so a missing value sorts last in both
 * directions; key values that are wholly numbers sort first, numerically,
 * then the rest bytewise ("2" before "10" for max_depth).
 */
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "keys.h"

enum field {
	F_NAME,
	F_VERSION,
	F_STAGE,
	F_DESCRIPTION,
	F_CREATED_BY,
	F_CREATED_AT,
	F_FRAMEWORK,
	F_FRAMEWORK_VERSION,
	F_PYTHON_VERSION,
	F_EXPERIMENT,
	F_TRAINING_DATA_VERSION,
	F_FEATURE_SET_VERSION,
	F_INCREMENT,
	F_PARENT_MODEL,
	F_DEPRECATED,
	F_FEATURES,
	F_ALIAS,
	F_METRIC, /* keyed fields from here on */
	F_TAG,
	F_MODEL_TAG,
	F_PARAM,
};

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_GLOB, OP_CONTAINS,
	OP_EXISTS };

static const char *const op_names[] = { "=", "!=", "<", "<=", ">", ">=",
	"GLOB", "CONTAINS", "EXISTS" };

#define B(op) (1u << (op))
#define ORD (B(OP_LT) | B(OP_LE) | B(OP_GT) | B(OP_GE))
#define EQNE (B(OP_EQ) | B(OP_NE))
#define STR (EQNE | ORD | B(OP_GLOB) | B(OP_CONTAINS))

static const struct field_def {
	const char *name; /* keyed fields end in '.' */
	enum field f;
	unsigned ops;
	bool orderable;
} field_defs[] = {
	{ "name", F_NAME, STR, true },
	{ "version", F_VERSION, EQNE | ORD | B(OP_GLOB), true },
	{ "stage", F_STAGE, EQNE, true },
	{ "description", F_DESCRIPTION, STR, false },
	{ "created_by", F_CREATED_BY, STR, true },
	{ "created_at", F_CREATED_AT, EQNE | ORD, true },
	{ "framework", F_FRAMEWORK, STR, true },
	{ "framework_version", F_FRAMEWORK_VERSION, STR, true },
	{ "python_version", F_PYTHON_VERSION, STR, true },
	{ "experiment", F_EXPERIMENT, STR, true },
	{ "training_data_version", F_TRAINING_DATA_VERSION, STR, true },
	{ "feature_set_version", F_FEATURE_SET_VERSION, STR, true },
	{ "increment", F_INCREMENT, STR, true },
	{ "parent_model", F_PARENT_MODEL, STR, false },
	{ "deprecated", F_DEPRECATED, EQNE, true },
	{ "features", F_FEATURES, EQNE | B(OP_GLOB) | B(OP_CONTAINS), false },
	{ "alias", F_ALIAS, EQNE | B(OP_GLOB), false },
	{ "metrics.", F_METRIC, EQNE | ORD | B(OP_EXISTS), true },
	{ "tags.", F_TAG, STR | B(OP_EXISTS), true },
	{ "model.tags.", F_MODEL_TAG, STR | B(OP_EXISTS), true },
	{ "hyperparameters.", F_PARAM, STR | B(OP_EXISTS), true },
	{ "params.", F_PARAM, STR | B(OP_EXISTS), true },
};
#define N_FIELDS (sizeof(field_defs) / sizeof(field_defs[0]))

/* ---- lexer ------------------------------------------------------------ */

enum tok_kind { T_END, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_STRING,
	T_NUMBER, T_WORD };
enum kw { KW_NONE, KW_AND, KW_OR, KW_NOT, KW_GLOB, KW_CONTAINS, KW_EXISTS,
	KW_TRUE, KW_FALSE, KW_ASC, KW_DESC };

static const char *const kw_names[] = { "", "AND", "OR", "NOT", "GLOB",
	"CONTAINS", "EXISTS", "TRUE", "FALSE", "ASC", "DESC" };

struct token {
	enum tok_kind kind;
	size_t pos, len; /* source bytes [pos, pos + len) */
	enum op op;      /* T_OP, and the words GLOB, CONTAINS, EXISTS */
	enum kw kw;      /* T_WORD */
	double num;      /* T_NUMBER */
	char *str;       /* T_STRING: the unescaped text, in the arena */
};

/*
 * Strings the parsed form keeps (keys, values) live in one arena of
 * 2 * len + 2 bytes: each token stores at most its own length plus a NUL,
 * and a token takes at least one byte of the text.
 */
struct lexer {
	const char *s;
	size_t len, pos;  /* pos: the next byte to lex */
	const char *what; /* "filter" or "order_by" */
	struct token tok; /* the current token */
	struct token prev;
	char *arena;
	size_t used, cap;
	mr_err *e;
};

static bool
is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	    c == '/' || c == '+' || c == '-';
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static mr_status
fail_at(struct lexer *lx, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails with "<what>: position <pos + 1>: <message>". */
static mr_status
fail_at(struct lexer *lx, size_t pos, const char *fmt, ...)
{
	char msg[MR_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mr_fail(lx->e, MR_INVALID_ARGUMENT, "%s: position %zu: %s",
	    lx->what, pos + 1, msg);
}

static mr_status
no_memory(mr_err *e, const char *what)
{
	return mr_fail(e, MR_RESOURCE_EXHAUSTED, "%s: out of memory", what);
}

/*
 * `n` bytes of `s` fit for an error message: printable ASCII (others
 * become '?'), cut at 40 bytes with "...".
 */
static const char *
echo(const char *s, size_t n, char out[48])
{
	size_t i, max = n > 40 ? 40 : n;

	for (i = 0; i < max; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	strcpy(out + i, n > max ? "..." : "");
	return out;
}

static const char *
tok_echo(const struct lexer *lx, const struct token *t, char out[48])
{
	return echo(lx->s + t->pos, t->len, out);
}

/* A token as messages quote it: 'AND', or a string as it was written. */
static const char *
tok_quoted(const struct lexer *lx, const struct token *t, char out[52])
{
	if (t->kind == T_STRING)
		return tok_echo(lx, t, out);
	out[0] = '\'';
	tok_echo(lx, t, out + 1);
	strcat(out, "'");
	return out;
}

static char *
arena_put(struct lexer *lx, const char *s, size_t n)
{
	char *p = lx->arena + lx->used;

	if (lx->used + n + 1 > lx->cap)
		abort(); /* the arena is sized so that this cannot happen */
	memcpy(p, s, n);
	p[n] = '\0';
	lx->used += n + 1;
	return p;
}

static mr_status
lex_string(struct lexer *lx, struct token *t)
{
	char q = lx->s[lx->pos];
	char *out = lx->arena + lx->used;
	size_t i = lx->pos + 1, n = 0;

	for (;;) {
		char c;
		if (i >= lx->len)
			return fail_at(lx, t->pos, "unterminated string");
		c = lx->s[i];
		if (c == q)
			break;
		if (c == '\\') {
			char d = i + 1 < lx->len ? lx->s[i + 1] : '\0';
			char buf[48];
			if (d == '\0')
				return fail_at(lx, t->pos,
				    "unterminated string");
			if (d != '\'' && d != '"' && d != '\\')
				return fail_at(lx, i,
				    "unknown escape '\\%s' (a string takes "
				    "\\', \\\" and \\\\)",
				    echo(&d, 1, buf));
			c = d;
			i++;
		}
		out[n++] = c;
		i++;
	}
	out[n] = '\0';
	lx->used += n + 1;
	t->kind = T_STRING;
	t->str = out;
	t->len = i + 1 - t->pos;
	return MR_OK;
}

static enum kw
keyword(const char *s, size_t n)
{
	for (size_t k = KW_AND; k <= KW_DESC; k++)
		if (strlen(kw_names[k]) == n &&
		    strncasecmp(s, kw_names[k], n) == 0)
			return (enum kw)k;
	return KW_NONE;
}

/* Lexes the next token into lx->tok, keeping the current in lx->prev. */
static mr_status
advance(struct lexer *lx)
{
	struct token *t = &lx->tok;
	const char *s = lx->s;
	size_t p;

	lx->prev = *t;
	while (lx->pos < lx->len && is_blank(s[lx->pos]))
		lx->pos++;
	p = lx->pos;
	memset(t, 0, sizeof(*t));
	t->pos = p;
	t->len = 1;
	if (p >= lx->len) {
		t->kind = T_END;
		t->len = 0;
		return MR_OK;
	}
	switch (s[p]) {
	case '(':
		t->kind = T_LPAREN;
		break;
	case ')':
		t->kind = T_RPAREN;
		break;
	case ',':
		t->kind = T_COMMA;
		break;
	case '=':
		t->kind = T_OP;
		t->op = OP_EQ;
		break;
	case '<':
	case '>':
		t->kind = T_OP;
		t->op = s[p] == '<' ? OP_LT : OP_GT;
		if (s[p + 1] == '=') {
			t->op = s[p] == '<' ? OP_LE : OP_GE;
			t->len = 2;
		}
		break;
	case '!':
		if (s[p + 1] != '=')
			return fail_at(lx, p, "unexpected '!' (did you mean "
					      "'!=' or NOT?)");
		t->kind = T_OP;
		t->op = OP_NE;
		t->len = 2;
		break;
	case '\'':
	case '"': {
		mr_status rv = lex_string(lx, t);
		if (rv != MR_OK)
			return rv;
		break;
	}
	default: {
		char *end = NULL;
		size_t n;
		char buf[48];

		if ((s[p] >= '0' && s[p] <= '9') || s[p] == '+' ||
		    s[p] == '-' || s[p] == '.') {
			double d = strtod(s + p, &end);
			if (end > s + p && !is_bare(*end) && isfinite(d)) {
				t->kind = T_NUMBER;
				t->num = d;
				t->len = (size_t)(end - (s + p));
				break;
			}
		}
		for (n = 0; p + n < lx->len && is_bare(s[p + n]); n++)
			;
		if (n == 0) {
			const char *hint = strchr("*?[]", s[p]) != NULL
			    ? " (quote glob patterns: 'fraud-*')"
			    : "";
			if (s[p] >= 0x20 && s[p] < 0x7f)
				return fail_at(lx, p,
				    "unexpected character '%s'%s",
				    echo(s + p, 1, buf), hint);
			return fail_at(lx, p, "unexpected byte 0x%02x",
			    (unsigned char)s[p]);
		}
		t->kind = T_WORD;
		t->len = n;
		t->kw = keyword(s + p, n);
		if (t->kw == KW_GLOB || t->kw == KW_CONTAINS ||
		    t->kw == KW_EXISTS)
			t->op = t->kw == KW_GLOB ? OP_GLOB
			    : t->kw == KW_CONTAINS ? OP_CONTAINS
						   : OP_EXISTS;
		break;
	}
	}
	lx->pos = p + t->len;
	return MR_OK;
}

static mr_status
lex_init(struct lexer *lx, const char *text, const char *what, mr_err *e)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = text != NULL ? text : "";
	lx->what = what;
	lx->e = e;
	lx->len = strnlen(lx->s, MR_FILTER_MAX + 1);
	if (lx->len > MR_FILTER_MAX)
		return fail_at(lx, MR_FILTER_MAX,
		    "longer than the limit of %d bytes", MR_FILTER_MAX);
	lx->cap = 2 * lx->len + 2;
	if ((lx->arena = malloc(lx->cap)) == NULL)
		return no_memory(e, what);
	return advance(lx);
}

/* ---- fields ----------------------------------------------------------- */

/* Edit distance of two short strings, for suggestions. */
static size_t
distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[65];

	if (na > 64 || nb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

/* The length of w[0..n) through its k-th '.', or 0 if it has fewer. */
static size_t
through_dots(const char *w, size_t n, int k)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '.' && --k == 0)
			return i + 1;
	return 0;
}

/*
 * Resolves the field named by word token `t`; a keyed field's key goes to
 * the arena. An unknown name gets the nearest field (within two edits) as
 * a suggestion, else the list of fields.
 */
static mr_status
resolve_field(struct lexer *lx, const struct token *t, bool ordering,
    const struct field_def **out, const char **key)
{
	const char *w = lx->s + t->pos;
	const struct field_def *best = NULL;
	size_t best_d = 3, best_pl = 0;
	char buf[48], rest[48], list[400];
	int n = 0;

	*key = NULL;
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field_def *fd = &field_defs[i];
		size_t fl = strlen(fd->name), pl, d;
		bool keyed = fd->f >= F_METRIC;

		if (t->len >= fl && memcmp(w, fd->name, fl) == 0 &&
		    (keyed || t->len == fl)) {
			if (ordering && !fd->orderable)
				return fail_at(lx, t->pos,
				    "cannot order by %s", fd->name);
			if (keyed && t->len == fl)
				return fail_at(lx, t->pos + t->len,
				    "expected a key after '%s'", fd->name);
			if (keyed)
				*key = arena_put(lx, w + fl, t->len - fl);
			*out = fd;
			return MR_OK;
		}
		if (ordering && !fd->orderable)
			continue;
		/* "metric.x" is compared by "metric." with "metrics.". */
		if (keyed)
			pl = through_dots(w, t->len,
			    fd->f == F_MODEL_TAG ? 2 : 1);
		else
			pl = memchr(w, '.', t->len) == NULL ? t->len : 0;
		if (pl == 0)
			continue;
		d = distance(w, pl, fd->name, fl);
		if (d < best_d) {
			best = fd;
			best_d = d;
			best_pl = pl;
		}
	}
	if (best != NULL)
		return fail_at(lx, t->pos,
		    "unknown field \"%s\" (did you mean \"%s%s\"?)",
		    tok_echo(lx, t, buf), best->name,
		    echo(w + best_pl, t->len - best_pl, rest));
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field_def *fd = &field_defs[i];
		if ((ordering && !fd->orderable) ||
		    strcmp(fd->name, "params.") == 0)
			continue;
		n += snprintf(list + n, sizeof(list) - (size_t)n, "%s%s%s",
		    n > 0 ? ", " : "", fd->name, fd->f >= F_METRIC ? "K" : "");
	}
	return fail_at(lx, t->pos, "unknown field \"%s\"; fields are %s",
	    tok_echo(lx, t, buf), list);
}

/* Text of the field of a plain string field, "" when absent. */
static const char *
string_field(enum field f, const mr_pb_version *v)
{
	const Modelreg__V1__Metadata *md = v->metadata;
	const char *s = NULL;

	switch (f) {
	case F_NAME:
		s = v->name;
		break;
	case F_VERSION:
		s = v->version;
		break;
	case F_DESCRIPTION:
		s = v->description;
		break;
	case F_CREATED_BY:
		s = v->created_by;
		break;
	case F_FRAMEWORK:
		s = md ? md->framework : NULL;
		break;
	case F_FRAMEWORK_VERSION:
		s = md ? md->framework_version : NULL;
		break;
	case F_PYTHON_VERSION:
		s = md ? md->python_version : NULL;
		break;
	case F_EXPERIMENT:
		s = md ? md->experiment : NULL;
		break;
	case F_TRAINING_DATA_VERSION:
		s = md ? md->training_data_version : NULL;
		break;
	case F_FEATURE_SET_VERSION:
		s = md ? md->feature_set_version : NULL;
		break;
	case F_INCREMENT:
		s = md ? md->increment : NULL;
		break;
	case F_PARENT_MODEL:
		s = md ? md->parent_model : NULL;
		break;
	default:
		break;
	}
	return s != NULL ? s : "";
}

/*
 * The value of keyed field f under `key`: *num for metrics, *str for the
 * string maps. False if the version (or model) has no such entry.
 */
static bool
keyed_value(enum field f, const char *key, const mr_pb_model *m,
    const mr_pb_version *v, double *num, const char **str)
{
	const Modelreg__V1__Metadata *md = v->metadata;

	switch (f) {
	case F_METRIC:
		for (size_t i = 0; md != NULL && i < md->n_metrics; i++)
			if (strcmp(md->metrics[i]->key, key) == 0) {
				*num = md->metrics[i]->value;
				return true;
			}
		return false;
	case F_PARAM:
		for (size_t i = 0; md != NULL && i < md->n_hyperparameters;
		     i++)
			if (strcmp(md->hyperparameters[i]->key, key) == 0) {
				*str = md->hyperparameters[i]->value;
				return true;
			}
		return false;
	case F_TAG:
		for (size_t i = 0; i < v->n_tags; i++)
			if (strcmp(v->tags[i]->key, key) == 0) {
				*str = v->tags[i]->value;
				return true;
			}
		return false;
	case F_MODEL_TAG:
		for (size_t i = 0; m != NULL && i < m->n_tags; i++)
			if (strcmp(m->tags[i]->key, key) == 0) {
				*str = m->tags[i]->value;
				return true;
			}
		return false;
	default:
		return false;
	}
}

/* Whether all of `s` is a finite number, as strtod reads it. */
static bool
parse_number(const char *s, double *out)
{
	char *end;
	double d;

	if (*s == '\0' || is_blank(*s))
		return false;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* ---- filter: parsing -------------------------------------------------- */

enum node_kind { N_AND, N_OR, N_NOT, N_CMP };

struct node {
	enum node_kind kind;
	int a, b; /* children: AND and OR both, NOT only a */
	enum field field;
	enum op op;
	bool glob;       /* name = / != with a pattern, or GLOB */
	bool is_num;     /* the value was an unquoted number: num */
	bool boolean;    /* deprecated */
	const char *key; /* keyed fields */
	const char *str; /* the value's text */
	double num;
	int64_t time_ms;
	int stage;
	mr_semver ver;
};

struct filter {
	struct node *nodes;
	size_t n, cap;
	int root; /* -1: matches everything */
	bool needs_model;
	char *arena;
};

struct parser {
	struct lexer lx;
	filter *f;
	int n_cmp;
};

static mr_status parse_expr(struct parser *p, int depth, int *out);

static mr_status
add_node(struct parser *p, const struct node *n, int *out)
{
	filter *f = p->f;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct node *nodes = realloc(f->nodes, cap * sizeof(*nodes));
		if (nodes == NULL)
			return no_memory(p->lx.e, "filter");
		f->nodes = nodes;
		f->cap = cap;
	}
	f->nodes[f->n] = *n;
	*out = (int)f->n++;
	return MR_OK;
}

static mr_status
add_pair(struct parser *p, enum node_kind kind, int a, int b, int *out)
{
	struct node n = { .kind = kind, .a = a, .b = b };

	return add_node(p, &n, out);
}

/* Keywords of the filter grammar itself; the others (TRUE, FALSE, ASC,
 * DESC) may name values in a filter. */
static bool
is_reserved(const struct token *t)
{
	return t->kind == T_WORD && t->kw >= KW_AND && t->kw <= KW_EXISTS;
}

static bool
is_op(const struct token *t)
{
	return t->kind == T_OP ||
	    (t->kind == T_WORD && (t->kw == KW_GLOB || t->kw == KW_CONTAINS ||
				      t->kw == KW_EXISTS));
}

static bool
is_value(const struct token *t)
{
	return t->kind == T_STRING || t->kind == T_NUMBER ||
	    (t->kind == T_WORD && !is_reserved(t));
}

/* Checks and converts the value of comparison n, from token t. */
static mr_status
check_value(struct parser *p, const struct field_def *fd,
    const struct token *t, struct node *n)
{
	struct lexer *lx = &p->lx;
	char buf[48], fbuf[48];
	mr_stage st;

	if (t->kind == T_STRING)
		n->str = t->str;
	else
		n->str = arena_put(lx, lx->s + t->pos, t->len);
	n->is_num = t->kind == T_NUMBER;
	n->num = t->num;
	n->glob = n->op == OP_GLOB;
	echo(n->str, strlen(n->str), buf);
	switch (fd->f) {
	case F_NAME:
		n->is_num = false;
		if ((n->op == OP_EQ || n->op == OP_NE) &&
		    strpbrk(n->str, "*?[") != NULL)
			n->glob = true;
		break;
	case F_VERSION:
		if (n->op != OP_GLOB &&
		    mr_semver_parse(n->str, &n->ver, NULL) != MR_OK)
			return fail_at(lx, t->pos,
			    "field version needs a version such as 3.1.0, "
			    "not \"%s\"",
			    buf);
		break;
	case F_STAGE:
		if (mr_stage_parse(n->str, &st) != 0)
			return fail_at(lx, t->pos,
			    "stage \"%s\" is not a stage", buf);
		n->stage = (int)st;
		break;
	case F_CREATED_AT:
		if (mr_parse_time(n->str, &n->time_ms) != 0)
			return fail_at(lx, t->pos,
			    "field created_at needs an RFC 3339 time such as "
			    "2024-01-15T10:00:00Z, not \"%s\"",
			    buf);
		break;
	case F_DEPRECATED:
		if (strcasecmp(n->str, "true") != 0 &&
		    strcasecmp(n->str, "false") != 0)
			return fail_at(lx, t->pos,
			    "field deprecated needs true or false, not \"%s\"",
			    buf);
		n->boolean = strcasecmp(n->str, "true") == 0;
		break;
	case F_METRIC:
		if (!n->is_num)
			return fail_at(lx, t->pos,
			    "field metrics.%s needs a number, not \"%s\"",
			    echo(n->key, strlen(n->key), fbuf), buf);
		break;
	default:
		break;
	}
	return MR_OK;
}

/* field op value | field EXISTS, the field being the current token. */
static mr_status
parse_cmp(struct parser *p, int *out)
{
	struct lexer *lx = &p->lx;
	struct token ft = lx->tok, ot;
	const struct field_def *fd = NULL;
	struct node n = { .kind = N_CMP, .a = -1, .b = -1 };
	char buf[48];
	mr_status rv;

	if (p->n_cmp == FILTER_CMP_MAX)
		return fail_at(lx, ft.pos, "too many comparisons (limit %d)",
		    FILTER_CMP_MAX);
	p->n_cmp++;
	if ((rv = resolve_field(lx, &ft, false, &fd, &n.key)) != MR_OK ||
	    (rv = advance(lx)) != MR_OK)
		return rv;
	n.field = fd->f;
	ot = lx->tok;
	if (!is_op(&ot))
		return fail_at(lx, ot.pos,
		    "expected an operator (=, !=, <, <=, >, >=, GLOB, "
		    "CONTAINS or EXISTS) after \"%s\"",
		    tok_echo(lx, &ft, buf));
	n.op = ot.op;
	if (!(fd->ops & B(n.op))) {
		if (n.op == OP_EXISTS)
			return fail_at(lx, ot.pos,
			    "EXISTS applies to metrics.K, tags.K, "
			    "model.tags.K and hyperparameters.K, not %s",
			    tok_echo(lx, &ft, buf));
		if (B(n.op) & ORD)
			return fail_at(lx, ot.pos,
			    "'%s' needs a number, a version or a time for "
			    "field %s",
			    op_names[n.op], tok_echo(lx, &ft, buf));
		return fail_at(lx, ot.pos, "%s does not apply to field %s",
		    op_names[n.op], tok_echo(lx, &ft, buf));
	}
	if ((rv = advance(lx)) != MR_OK)
		return rv;
	if (n.op != OP_EXISTS) {
		if (!is_value(&lx->tok))
			return fail_at(lx, lx->tok.pos,
			    "expected a value after '%s'", op_names[n.op]);
		if ((rv = check_value(p, fd, &lx->tok, &n)) != MR_OK ||
		    (rv = advance(lx)) != MR_OK)
			return rv;
	}
	if (n.field == F_MODEL_TAG || n.field == F_ALIAS)
		p->f->needs_model = true;
	return add_node(p, &n, out);
}

static mr_status
parse_factor(struct parser *p, int depth, int *out)
{
	struct lexer *lx = &p->lx;
	struct token t = lx->tok;
	char buf[52];
	mr_status rv;
	int a;

	if (t.kind == T_LPAREN || (t.kind == T_WORD && t.kw == KW_NOT)) {
		if (depth == FILTER_DEPTH_MAX)
			return fail_at(lx, t.pos,
			    "too deeply nested (limit %d)", FILTER_DEPTH_MAX);
		if ((rv = advance(lx)) != MR_OK)
			return rv;
		if (t.kind == T_WORD) {
			if ((rv = parse_factor(p, depth + 1, &a)) != MR_OK)
				return rv;
			return add_pair(p, N_NOT, a, -1, out);
		}
		if ((rv = parse_expr(p, depth + 1, out)) != MR_OK)
			return rv;
		if (lx->tok.kind != T_RPAREN)
			return fail_at(lx, lx->tok.pos, "expected ')'");
		return advance(lx);
	}
	if (t.kind == T_WORD && !is_reserved(&t))
		return parse_cmp(p, out);
	if (t.kind == T_END)
		return fail_at(lx, t.pos, "expected a comparison after %s",
		    tok_quoted(lx, &lx->prev, buf));
	return fail_at(lx, t.pos, "unexpected %s", tok_quoted(lx, &t, buf));
}

static mr_status
parse_term(struct parser *p, int depth, int *out)
{
	struct lexer *lx = &p->lx;
	mr_status rv;
	int b;

	if ((rv = parse_factor(p, depth, out)) != MR_OK)
		return rv;
	while (lx->tok.kind == T_WORD && lx->tok.kw == KW_AND) {
		if ((rv = advance(lx)) != MR_OK ||
		    (rv = parse_factor(p, depth, &b)) != MR_OK ||
		    (rv = add_pair(p, N_AND, *out, b, out)) != MR_OK)
			return rv;
	}
	return MR_OK;
}

static mr_status
parse_expr(struct parser *p, int depth, int *out)
{
	struct lexer *lx = &p->lx;
	mr_status rv;
	int b;

	if ((rv = parse_term(p, depth, out)) != MR_OK)
		return rv;
	while (lx->tok.kind == T_WORD && lx->tok.kw == KW_OR) {
		if ((rv = advance(lx)) != MR_OK ||
		    (rv = parse_term(p, depth, &b)) != MR_OK ||
		    (rv = add_pair(p, N_OR, *out, b, out)) != MR_OK)
			return rv;
	}
	return MR_OK;
}

mr_status
filter_parse(const char *text, filter **out, mr_err *e)
{
	struct parser p;
	char buf[52];
	mr_status rv;

	memset(&p, 0, sizeof(p));
	if ((p.f = calloc(1, sizeof(*p.f))) == NULL)
		return no_memory(e, "filter");
	p.f->root = -1;
	rv = lex_init(&p.lx, text, "filter", e);
	p.f->arena = p.lx.arena;
	if (rv != MR_OK)
		goto err_filter;
	if (p.lx.tok.kind != T_END) {
		if ((rv = parse_expr(&p, 0, &p.f->root)) != MR_OK)
			goto err_filter;
		if (p.lx.tok.kind != T_END) {
			rv = fail_at(&p.lx, p.lx.tok.pos, "unexpected %s",
			    tok_quoted(&p.lx, &p.lx.tok, buf));
			goto err_filter;
		}
	}
	*out = p.f;
	return MR_OK;
err_filter:
	filter_free(p.f);
	return rv;
}

void
filter_free(filter *f)
{
	if (f == NULL)
		return;
	free(f->nodes);
	free(f->arena);
	free(f);
}

bool
filter_needs_model(const filter *f)
{
	return f->needs_model;
}

/* ---- filter: matching ------------------------------------------------- */

static bool
cmp_result(int c, enum op op)
{
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	default:
		return false;
	}
}

/* IEEE comparisons, so that a NaN is only ever != */
static bool
num_result(double a, enum op op, double b)
{
	switch (op) {
	case OP_EQ:
		return a == b;
	case OP_NE:
		return a != b;
	case OP_LT:
		return a < b;
	case OP_LE:
		return a <= b;
	case OP_GT:
		return a > b;
	case OP_GE:
		return a >= b;
	default:
		return false;
	}
}

static bool
match_string(const struct node *n, const char *s)
{
	double d;

	switch (n->op) {
	case OP_GLOB:
		return fnmatch(n->str, s, 0) == 0;
	case OP_CONTAINS:
		return strstr(s, n->str) != NULL;
	default:
		if (n->glob)
			return (fnmatch(n->str, s, 0) == 0) == (n->op == OP_EQ);
		if (n->is_num && parse_number(s, &d))
			return num_result(d, n->op, n->num);
		return cmp_result(strcmp(s, n->str), n->op);
	}
}

/* Whether some element of a list equals (or globs) the value; != and
 * the other operators are decided by the caller. */
static bool
match_any(const struct node *n, const char *s)
{
	return n->glob ? fnmatch(n->str, s, 0) == 0 : strcmp(s, n->str) == 0;
}

static bool
match_cmp(const struct node *n, const mr_pb_model *m, const mr_pb_version *v)
{
	const Modelreg__V1__Metadata *md = v->metadata;
	const char *s;
	bool any = false;
	mr_semver ver;
	double d;

	switch (n->field) {
	case F_VERSION:
		if (n->op == OP_GLOB)
			return match_string(n, v->version);
		if (mr_semver_parse(v->version, &ver, NULL) != MR_OK)
			return false;
		return cmp_result(mr_semver_cmp(&ver, &n->ver), n->op);
	case F_STAGE:
		return ((int)v->stage == n->stage) == (n->op == OP_EQ);
	case F_CREATED_AT:
		return cmp_result((v->created_at_ms > n->time_ms) -
			(v->created_at_ms < n->time_ms),
		    n->op);
	case F_DEPRECATED:
		return ((v->deprecation != NULL) == n->boolean) ==
		    (n->op == OP_EQ);
	case F_FEATURES:
		for (size_t i = 0; md != NULL && i < md->n_features; i++)
			any = any || match_any(n, md->features[i]);
		return any == (n->op != OP_NE);
	case F_ALIAS:
		for (size_t i = 0; m != NULL && i < m->n_aliases; i++)
			any = any ||
			    (strcmp(m->aliases[i]->value, v->version) == 0 &&
				match_any(n, m->aliases[i]->key));
		return any == (n->op != OP_NE);
	case F_METRIC:
		if (!keyed_value(n->field, n->key, m, v, &d, &s))
			return false;
		return n->op == OP_EXISTS || num_result(d, n->op, n->num);
	case F_TAG:
	case F_MODEL_TAG:
	case F_PARAM:
		if (!keyed_value(n->field, n->key, m, v, &d, &s))
			return false;
		return n->op == OP_EXISTS || match_string(n, s);
	default:
		return match_string(n, string_field(n->field, v));
	}
}

static bool
match_node(const filter *f, int i, const mr_pb_model *m,
    const mr_pb_version *v)
{
	const struct node *n = &f->nodes[i];

	switch (n->kind) {
	case N_AND:
		return match_node(f, n->a, m, v) && match_node(f, n->b, m, v);
	case N_OR:
		return match_node(f, n->a, m, v) || match_node(f, n->b, m, v);
	case N_NOT:
		return !match_node(f, n->a, m, v);
	default:
		return match_cmp(n, m, v);
	}
}

bool
filter_match(const filter *f, const mr_pb_model *m, const mr_pb_version *v)
{
	return f->root < 0 || match_node(f, f->root, m, v);
}

/* ---- filter: index plan ----------------------------------------------- */

static void
plan_walk(const filter *f, int i, filter_plan *out)
{
	const struct node *n = &f->nodes[i];

	if (n->kind == N_AND) {
		plan_walk(f, n->a, out);
		plan_walk(f, n->b, out);
		return;
	}
	if (n->kind != N_CMP)
		return;
	if (n->field == F_NAME && (n->op == OP_EQ || n->op == OP_GLOB) &&
	    !out->name_exact) {
		/* The literal prefix stops at the first metacharacter, or
		 * at a backslash, which fnmatch reads as an escape. */
		size_t len = n->glob ? strcspn(n->str, "*?[\\")
				     : strlen(n->str);
		bool exact = !n->glob && len <= MR_NAME_MAX;

		if (len > MR_NAME_MAX)
			len = MR_NAME_MAX;
		if (exact || len > strlen(out->name_prefix)) {
			memcpy(out->name_prefix, n->str, len);
			out->name_prefix[len] = '\0';
			out->name_exact = exact;
		}
	}
	if (n->field == F_STAGE && n->op == OP_EQ && out->stage == 0)
		out->stage = n->stage;
	/* A number value also matches "6.0" for 6: no index can say so. */
	if (n->field == F_TAG && n->op == OP_EQ && !n->is_num &&
	    out->tag_key == NULL) {
		out->tag_key = n->key;
		out->tag_value = n->str;
	}
}

void
filter_plan_get(const filter *f, filter_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (f->root >= 0)
		plan_walk(f, f->root, out);
}

/* ---- order_by --------------------------------------------------------- */

struct term {
	enum field field;
	const char *key;
	bool desc;
};

struct filter_order {
	struct term terms[FILTER_ORDER_MAX];
	size_t n;
	bool needs_model;
	char *arena;
};

mr_status
filter_order_parse(const char *text, filter_order **out, mr_err *e)
{
	struct lexer lx;
	filter_order *o;
	char buf[52];
	mr_status rv;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return no_memory(e, "order_by");
	rv = lex_init(&lx, text, "order_by", e);
	o->arena = lx.arena;
	if (rv != MR_OK)
		goto err_order;
	while (lx.tok.kind != T_END) {
		struct term *t;
		const struct field_def *fd = NULL;

		if (lx.tok.kind != T_WORD || lx.tok.kw != KW_NONE) {
			rv = fail_at(&lx, lx.tok.pos,
			    "expected a field, not %s",
			    tok_quoted(&lx, &lx.tok, buf));
			goto err_order;
		}
		if (o->n == FILTER_ORDER_MAX) {
			rv = fail_at(&lx, lx.tok.pos,
			    "too many terms (limit %d)", FILTER_ORDER_MAX);
			goto err_order;
		}
		t = &o->terms[o->n];
		if ((rv = resolve_field(&lx, &lx.tok, true, &fd, &t->key)) !=
			MR_OK ||
		    (rv = advance(&lx)) != MR_OK)
			goto err_order;
		t->field = fd->f;
		if (fd->f == F_MODEL_TAG)
			o->needs_model = true;
		o->n++;
		if (lx.tok.kind == T_WORD &&
		    (lx.tok.kw == KW_ASC || lx.tok.kw == KW_DESC)) {
			t->desc = lx.tok.kw == KW_DESC;
			if ((rv = advance(&lx)) != MR_OK)
				goto err_order;
		}
		if (lx.tok.kind == T_END)
			break;
		if (lx.tok.kind != T_COMMA) {
			rv = fail_at(&lx, lx.tok.pos,
			    "expected ',' or the end, not %s",
			    tok_quoted(&lx, &lx.tok, buf));
			goto err_order;
		}
		if ((rv = advance(&lx)) != MR_OK)
			goto err_order;
		if (lx.tok.kind == T_END) {
			rv = fail_at(&lx, lx.tok.pos,
			    "expected a field after ','");
			goto err_order;
		}
	}
	*out = o;
	return MR_OK;
err_order:
	filter_order_free(o);
	return rv;
}

void
filter_order_free(filter_order *o)
{
	if (o == NULL)
		return;
	free(o->arena);
	free(o);
}

bool
filter_order_is_default(const filter_order *o)
{
	/* Name then version is unique, so terms after it change nothing. */
	const struct term *t = o->terms;

	return o->n == 0 ||
	    (t[0].field == F_NAME && !t[0].desc &&
		(o->n == 1 || (t[1].field == F_VERSION && !t[1].desc)));
}

bool
filter_order_needs_model(const filter_order *o)
{
	return o->needs_model;
}

/* ---- order_by: sort keys ---------------------------------------------- */

/* Longest encodings: a string with its terminator, and a key's term (a
 * presence byte, a number-or-text byte and a string). */
#define STRING_ENC_MAX (MR_STRING_MAX + 2)
#define TERM_MAX (2 + STRING_ENC_MAX)
_Static_assert(FILTER_ORDER_MAX * TERM_MAX + STRING_ENC_MAX +
	    KEYS_VERKEY_MAX <= FILTER_KEY_MAX,
    "FILTER_KEY_MAX holds every key");

static size_t
put_u64(uint8_t *p, uint64_t x)
{
	keys_put_u64(p, x);
	return 8;
}

/* A double as 8 bytes whose unsigned order is numeric order. */
static size_t
put_double(uint8_t *p, double d)
{
	uint64_t bits;

	if (d == 0)
		d = 0; /* -0.0 sorts with 0.0 */
	memcpy(&bits, &d, sizeof(bits));
	bits = (bits >> 63) ? ~bits : bits | (1ull << 63);
	return put_u64(p, bits);
}

/*
 * A string, cut at MR_STRING_MAX bytes, then 0x00 0x01. The terminator
 * sorts below every byte, so a string sorts before its extensions, and
 * since a C string holds no 0x00 (which would be written 0x00 0xFF) no
 * encoding is a prefix of another.
 */
static size_t
put_string(uint8_t *p, const char *s)
{
	size_t n = strnlen(s, MR_STRING_MAX);

	memcpy(p, s, n);
	p[n++] = 0x00;
	p[n++] = 0x01;
	return n;
}

static size_t
put_version(uint8_t *p, const char *text)
{
	mr_semver ver;

	if (mr_semver_parse(text, &ver, NULL) != MR_OK)
		memset(&ver, 0, sizeof(ver)); /* stored versions always
		                                 parse */
	return keys_verkey(p, &ver);
}

/* The encoding of one term's value; *absent if the version has none. */
static size_t
put_term(uint8_t *p, const struct term *t, const mr_pb_model *m,
    const mr_pb_version *v, bool *absent)
{
	const char *s = NULL;
	double d;

	*absent = false;
	switch (t->field) {
	case F_VERSION:
		return put_version(p, v->version);
	case F_STAGE:
		p[0] = (uint8_t)v->stage;
		return 1;
	case F_CREATED_AT:
		return put_u64(p, (uint64_t)v->created_at_ms ^ (1ull << 63));
	case F_DEPRECATED:
		p[0] = v->deprecation != NULL;
		return 1;
	case F_METRIC:
		if (!keyed_value(t->field, t->key, m, v, &d, &s))
			break;
		return put_double(p, d);
	case F_TAG:
	case F_MODEL_TAG:
	case F_PARAM:
		if (!keyed_value(t->field, t->key, m, v, &d, &s))
			break;
		if (parse_number(s, &d)) {
			p[0] = 0x01;
			return 1 + put_double(p + 1, d);
		}
		p[0] = 0x02;
		return 1 + put_string(p + 1, s);
	default:
		return put_string(p, string_field(t->field, v));
	}
	*absent = true;
	return 0;
}

size_t
filter_order_key(const filter_order *o, const mr_pb_model *m,
    const mr_pb_version *v, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++) {
		const struct term *t = &o->terms[i];
		bool keyed = t->field >= F_METRIC, absent;
		size_t start, len;

		/* Keyed terms: 0x01 present, 0x02 absent, never inverted. */
		if (keyed)
			out[n++] = 0x01;
		start = n;
		len = put_term(out + n, t, m, v, &absent);
		if (absent) {
			out[start - 1] = 0x02;
			continue;
		}
		if (t->desc)
			for (size_t j = start; j < start + len; j++)
				out[j] = (uint8_t)~out[j];
		n += len;
	}
	n += put_string(out + n, v->name);
	n += put_version(out + n, v->version);
	return n;
}
