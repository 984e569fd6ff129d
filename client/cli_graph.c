/*
 * cli_graph.c - lineage graphs in the CLI: gathering the nodes and edges
 * of several answers into one graph, node labels, the tree `modelreg
 * lineage NAME VERSION` prints, Graphviz output, and the edge type a link
 * gets when none is given.
 *
 * A graph is gathered from several answers (the pages of a walk, a GetNode
 * per node); the answers are kept and the graph's lists point into them,
 * so nothing is copied. Each node is kept once, found by id through a
 * tsearch(3) tree, because a walk's start comes back with every page.
 *
 * The lineage of a version is a DAG - a model has edges from its dataset,
 * its feature set and its experiment, and the experiment one from the
 * feature set - while a tree shows each node once. Each node goes under
 * the parent on its longest path from a root, so that dataset -> features
 * -> experiment -> model comes out as the chain it is rather than as three
 * branches under the model. Ties go to the parent whose label sorts first
 * and siblings are sorted by label, so the same graph always prints the
 * same tree.
 */
#include <search.h> /* tsearch; tdestroy is GNU (_GNU_SOURCE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* ---- gathering ---------------------------------------------------------- */

/* An entry of the index: a node's id and its position in g->nodes. */
typedef struct slot {
	const char *id;
	size_t at;
} slot;

static int
cmp_slot(const void *a, const void *b)
{
	return strcmp(((const slot *)a)->id, ((const slot *)b)->id);
}

/* Room for one more of `size`-byte items in *arr holding n of cap. */
static void
grow(void *arr, size_t n, size_t *cap, size_t size)
{
	void **p = arr;

	if (n < *cap)
		return;
	*cap = *cap > 0 ? 2 * *cap : 16;
	*p = cli_must(realloc(*p, *cap * size));
}

void
cg_keep(cli_graph *g, mr_graph *part)
{
	grow(&g->parts, g->n_parts, &g->cap_parts, sizeof(*g->parts));
	g->parts[g->n_parts++] = part;
	g->depth_limited |= part->depth_limited;
}

static const slot *
find_slot(const cli_graph *g, const char *id)
{
	slot key = {id, 0};
	slot **found = tfind(&key, (void **)&g->index, cmp_slot);

	return found != NULL ? *found : NULL;
}

const mr_node *
cg_find(const cli_graph *g, const char *id)
{
	const slot *s = find_slot(g, id);

	return s != NULL ? g->nodes[s->at] : NULL;
}

bool
cg_add_node(cli_graph *g, const mr_node *n)
{
	slot *s;

	if (find_slot(g, n->id) != NULL)
		return false;
	s = cli_must(malloc(sizeof(*s)));
	*s = (slot){n->id, g->n_nodes};
	cli_must(tsearch(s, &g->index, cmp_slot));
	grow(&g->nodes, g->n_nodes, &g->cap_nodes, sizeof(*g->nodes));
	g->nodes[g->n_nodes++] = n;
	return true;
}

void
cg_add_edge(cli_graph *g, const mr_edge *e)
{
	grow(&g->edges, g->n_edges, &g->cap_edges, sizeof(*g->edges));
	g->edges[g->n_edges++] = e;
}

void
cg_free(cli_graph *g)
{
	tdestroy(g->index, free);
	for (size_t i = 0; i < g->n_parts; i++)
		mr_graph_free(g->parts[i]);
	free(g->parts);
	free(g->nodes);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}

/* ---- labels ------------------------------------------------------------- */

char *
cg_label(const mr_node *n)
{
	const char *env = n->environment;
	char ended[32];
	line l;

	line_start(&l);
	switch (n->kind) {
	case MR_NODE_MODEL:
		fprintf(l.f, "model:%s-%s", n->name, n->version);
		if (n->deleted_at_ms != 0)
			fprintf(l.f, " (deleted %s)",
			    mr_format_time(n->deleted_at_ms, ended));
		break;
	case MR_NODE_DEPLOYMENT:
		fprintf(l.f, "deployment:%s", mr_stage_name(n->stage));
		if (n->ended_at_ms != 0)
			fprintf(l.f, " (ended %s)",
			    mr_format_time(n->ended_at_ms, ended));
		if (env[0] != '\0' && strcmp(env, "default") != 0)
			fprintf(l.f, " [%s]", env);
		break;
	default:
		fprintf(l.f, "%s:%s%s%s",
		    n->kind == MR_NODE_DATASET ? "data"
		        : n->kind == MR_NODE_FEATURES
		        ? "feature-engineering"
		        : mr_node_kind_name(n->kind),
		    n->name,
		    n->name[0] != '\0' && n->version[0] != '\0' ? "@" : "",
		    n->version);
		break;
	}
	return line_end(&l);
}

/* ---- the tree ----------------------------------------------------------- */

#define NONE SIZE_MAX

/* A graph laid out as a tree: every node's parent and children. */
typedef struct layout {
	size_t n;
	char **label;
	size_t *parent;
	size_t *level; /* longest path from a root, in edges */
	size_t
	    *first_out; /* out-edges of v: out[first_out[v]..first_out[v+1]] */
	size_t *out;
	size_t *children; /* children of v: children[first_child[v]..] */
	size_t *first_child;
	size_t *roots;
	size_t n_roots;
} layout;

static const layout *sort_layout;

/* Nodes by label, then by id (labels of distinct nodes may be equal). */
static int
cmp_by_label(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_layout->label[x], sort_layout->label[y]);

	return c != 0 ? c : (x > y) - (x < y);
}

static bool
label_before(const layout *t, size_t x, size_t y)
{
	sort_layout = t;
	return cmp_by_label(&x, &y) < 0;
}

/* The out-edges of every node, as pairs of positions in g->nodes. */
static void
index_edges(const cli_graph *g, layout *t, size_t *indeg)
{
	size_t *from = cli_must(calloc(g->n_edges + 1, sizeof(size_t)));
	size_t *to = cli_must(calloc(g->n_edges + 1, sizeof(size_t)));
	size_t m = 0;

	for (size_t i = 0; i < g->n_edges; i++) {
		const slot *f = find_slot(g, g->edges[i]->from);
		const slot *d = find_slot(g, g->edges[i]->to);

		if (f == NULL || d == NULL || f->at == d->at)
			continue;
		from[m] = f->at;
		to[m++] = d->at;
		t->first_out[f->at + 1]++;
		indeg[d->at]++;
	}
	for (size_t v = 0; v < t->n; v++)
		t->first_out[v + 1] += t->first_out[v];
	t->out = cli_must(calloc(m + 1, sizeof(size_t)));
	{
		size_t *fill = cli_must(calloc(t->n + 1, sizeof(size_t)));

		for (size_t i = 0; i < m; i++)
			t->out[t->first_out[from[i]] + fill[from[i]]++] = to[i];
		free(fill);
	}
	free(from);
	free(to);
}

/*
 * Longest paths by Kahn's algorithm: a node's level is final when it
 * leaves the queue, since all its parents have. Nodes on a cycle (which
 * the server refuses to create) never leave it and keep the parent they
 * had, or become roots: each node is still printed once.
 */
static void
choose_parents(layout *t, size_t *indeg)
{
	size_t *queue = cli_must(calloc(t->n + 1, sizeof(size_t)));
	size_t head = 0, tail = 0;

	for (size_t v = 0; v < t->n; v++)
		if (indeg[v] == 0)
			queue[tail++] = v;
	while (head < tail) {
		size_t v = queue[head++];

		for (size_t k = t->first_out[v]; k < t->first_out[v + 1]; k++) {
			size_t w = t->out[k];

			if (t->parent[w] == NONE ||
			    t->level[v] + 1 > t->level[w] ||
			    (t->level[v] + 1 == t->level[w] &&
			        label_before(t, v, t->parent[w]))) {
				t->parent[w] = v;
				t->level[w] = t->level[v] + 1;
			}
			if (--indeg[w] == 0)
				queue[tail++] = w;
		}
	}
	free(queue);
}

/* Children lists from the parents, each sorted by label, and the roots. */
static void
list_children(layout *t)
{
	size_t *fill = cli_must(calloc(t->n + 1, sizeof(size_t)));

	for (size_t v = 0; v < t->n; v++) {
		if (t->parent[v] == NONE)
			t->roots[t->n_roots++] = v;
		else
			t->first_child[t->parent[v] + 1]++;
	}
	for (size_t v = 0; v < t->n; v++)
		t->first_child[v + 1] += t->first_child[v];
	for (size_t v = 0; v < t->n; v++)
		if (t->parent[v] != NONE)
			t->children[t->first_child[t->parent[v]] +
			    fill[t->parent[v]]++] = v;
	free(fill);
	sort_layout = t;
	qsort(t->roots, t->n_roots, sizeof(size_t), cmp_by_label);
	for (size_t v = 0; v < t->n; v++)
		qsort(t->children + t->first_child[v],
		    t->first_child[v + 1] - t->first_child[v], sizeof(size_t),
		    cmp_by_label);
}

static void
layout_build(layout *t, const cli_graph *g)
{
	size_t n = g->n_nodes;
	size_t *indeg = cli_must(calloc(n + 1, sizeof(size_t)));

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->label = cli_must(calloc(n + 1, sizeof(char *)));
	t->parent = cli_must(malloc((n + 1) * sizeof(size_t)));
	t->level = cli_must(calloc(n + 1, sizeof(size_t)));
	t->first_out = cli_must(calloc(n + 2, sizeof(size_t)));
	t->first_child = cli_must(calloc(n + 2, sizeof(size_t)));
	t->children = cli_must(calloc(n + 1, sizeof(size_t)));
	t->roots = cli_must(calloc(n + 1, sizeof(size_t)));
	for (size_t v = 0; v < n; v++) {
		t->label[v] = cg_label(g->nodes[v]);
		t->parent[v] = NONE;
	}
	index_edges(g, t, indeg);
	choose_parents(t, indeg);
	list_children(t);
	free(indeg);
}

static void
layout_free(layout *t)
{
	for (size_t v = 0; v < t->n; v++)
		free(t->label[v]);
	free(t->label);
	free(t->parent);
	free(t->level);
	free(t->first_out);
	free(t->out);
	free(t->children);
	free(t->first_child);
	free(t->roots);
}

/* A node being printed: its children still to print, and the length of
 * the prefix its children's lines start with. */
typedef struct frame {
	size_t node, next, prefix;
} frame;

/* Prints the subtree of root r, depth first without recursion (a chain
 * may be as long as the graph). */
static void
print_subtree(const layout *t, size_t r, char *prefix, frame *stack, FILE *f)
{
	static const char branch[] = "├─> ", last[] = "└─> ";
	static const char bar[] = "│   ", blank[] = "    ";
	size_t sp = 0;

	fprintf(f, "%s\n", t->label[r]);
	stack[sp++] = (frame){r, t->first_child[r], 0};
	while (sp > 0) {
		frame *top = &stack[sp - 1];
		size_t c, end = t->first_child[top->node + 1];
		bool is_last;

		if (top->next == end) {
			sp--;
			continue;
		}
		c = t->children[top->next++];
		is_last = top->next == end;
		fprintf(f, "%.*s%s%s\n", (int)top->prefix, prefix,
		    is_last ? last : branch, t->label[c]);
		memcpy(prefix + top->prefix, is_last ? blank : bar,
		    is_last ? sizeof(blank) - 1 : sizeof(bar) - 1);
		stack[sp] = (frame){c, t->first_child[c],
		    top->prefix + (is_last ? sizeof(blank) : sizeof(bar)) - 1};
		sp++;
	}
}

void
cg_print_tree(const cli_graph *g, FILE *f)
{
	layout t;
	char *prefix;
	frame *stack;

	layout_build(&t, g);
	/* A level adds at most the 6 bytes of "│   ". */
	prefix = cli_must(malloc(6 * (t.n + 1)));
	stack = cli_must(calloc(t.n + 1, sizeof(*stack)));
	for (size_t i = 0; i < t.n_roots; i++)
		print_subtree(&t, t.roots[i], prefix, stack, f);
	free(stack);
	free(prefix);
	layout_free(&t);
}

/* ---- Graphviz ----------------------------------------------------------- */

/* A DOT string: quoted, with quotes and backslashes escaped. */
static void
dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
cg_print_dot(const cli_graph *g, FILE *f)
{
	fputs("digraph lineage {\n", f);
	for (size_t i = 0; i < g->n_nodes; i++) {
		char *label = cg_label(g->nodes[i]);

		fputs("  ", f);
		dot_str(f, g->nodes[i]->id);
		fputs(" [label=", f);
		dot_str(f, label);
		fputs("];\n", f);
		free(label);
	}
	for (size_t i = 0; i < g->n_edges; i++) {
		fputs("  ", f);
		dot_str(f, g->edges[i]->from);
		fputs(" -> ", f);
		dot_str(f, g->edges[i]->to);
		fputs(" [label=", f);
		dot_str(f, mr_edge_type_name(g->edges[i]->type));
		fputs("];\n", f);
	}
	fputs("}\n", f);
}

/* ---- edge types --------------------------------------------------------- */

mr_edge_type
cg_default_edge(mr_node_kind from, mr_node_kind to)
{
	bool data = from == MR_NODE_DATASET || from == MR_NODE_FEATURES;

	if (from == MR_NODE_INCREMENT)
		return MR_EDGE_PART_OF;
	if (data && (to == MR_NODE_DATASET || to == MR_NODE_FEATURES))
		return MR_EDGE_DERIVED_FROM;
	if (data && (to == MR_NODE_EXPERIMENT || to == MR_NODE_MODEL))
		return MR_EDGE_TRAINED_ON;
	if (from == MR_NODE_EXPERIMENT && to == MR_NODE_EXPERIMENT)
		return MR_EDGE_DERIVED_FROM;
	if (from == MR_NODE_EXPERIMENT && to == MR_NODE_MODEL)
		return MR_EDGE_PRODUCED_BY;
	if (from == MR_NODE_MODEL && to == MR_NODE_MODEL)
		return MR_EDGE_PARENT_OF;
	return 0;
}
