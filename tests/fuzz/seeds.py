#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer harnesses into
tests/fuzz/corpus/<target>/: valid inputs to start from, so that the
fuzzer mutates requests the handlers accept instead of first having to
find them. Made from proto/ with Debian's protoc and python3-protobuf.

  fuzz_request    method selector byte + request payload, for every method
                  of proto/'s services; the selector is the method's index
                  in name order, as fuzz_request.c orders svc.h's tables
                  (plus the method count times the caller's index)
  fuzz_dispatch   the same requests as whole envelopes, and a few
                  envelopes with idempotency keys, metadata and deadlines
  fuzz_manifest   manifests of one file and of a directory
  fuzz_filter     filters and orderings (SearchVersions)
  fuzz_keys       two versions of equal length, back to back
  fuzz_chunk      a raw chunk and a zstd frame, in fuzz_chunk.c's layout

Rerun after adding a method or changing a request message:
  /usr/bin/python3 tests/fuzz/seeds.py
It replaces the seed directories; the output is deterministic.
"""

import glob
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PROTO = os.path.join(ROOT, "proto")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")

CHUNK = b"modelreg fuzz seed chunk\n" * 3  # small: libFuzzer runs seeds by size, and PutChunk must precede RegisterVersion
CHUNK_SHA = hashlib.sha256(CHUNK).digest()


def h(b):
    """Bytes as a text-format string literal."""
    return '"' + "".join("\\x%02x" % c for c in b) + '"'


def manifest_text(files):
    """A valid manifest of [(path, bytes)], one chunk per file."""
    files = sorted(files)
    art = hashlib.sha256()
    parts = []
    for path, data in files:
        fd = hashlib.sha256(data).digest()
        art.update(path.encode() + b"\0" + struct.pack(">Q", len(data)) + fd)
        parts.append(
            'files { path: "%s" size: %d digest: %s mode: 420 '
            'chunks { offset: 0 length: %d digest: %s } }'
            % (path, len(data), h(fd), len(data),
               h(hashlib.sha256(data).digest())))
    return ("format: 1 directory: %s %s digest: %s total_size: %d "
            "chunk_count: %d" % ("true" if len(files) > 1 else "false",
                                 " ".join(parts), h(art.digest()),
                                 sum(len(d) for _, d in files), len(files)))


MANIFEST = manifest_text([("model.bin", CHUNK)])
META = ('metadata { metrics { key: "accuracy" value: 0.91 } '
        'metrics { key: "latency_ms" value: 12 } '
        'hyperparameters { key: "max_depth" value: "6" } '
        'framework: "xgboost" framework_version: "2.0.3" '
        'python_version: "3.11" features: "age" features: "income" '
        'training_data_version: "ds-2024" experiment: "exp-1" '
        'increment: "inc-1" }')
SIG = ('signature { inputs { name: "age" type: "float32" } '
       'inputs { name: "income" type: "float32" } '
       'outputs { name: "score" type: "float32" } }')

# Requests of each method, in text format: a typical call first.
REQUESTS = {
    "Registry/RegisterVersion": [
        'name: "fraud" version: "1.0.0" description: "first" %s '
        'tags { key: "team" value: "risk" } %s manifest { %s } '
        'model_description: "fraud model" model_owner: "risk" '
        'model_tags { key: "tier" value: "1" } reason: "seed"'
        % (META, SIG, MANIFEST),
        'name: "fraud" bump: BUMP_AUTO stage: STAGE_STAGING %s %s '
        'manifest { %s }' % (META, SIG, MANIFEST),
    ],
    "Registry/GetModel": ['name: "fraud"'],
    "Registry/GetVersion": [
        'name: "fraud" version: "1.0.0" with_chunks: true',
        'name: "fraud" stage: STAGE_PRODUCTION at_ms: 1700000000000',
    ],
    "Registry/ListModels": ['page_size: 10 stage: STAGE_DEV tag: "tier=1"'],
    "Registry/ListVersions": [
        'name: "fraud" page_size: 2 tag: "team" descending: true'],
    "Registry/Promote": [
        'name: "fraud" version: "1.0.0" to_stage: STAGE_PRODUCTION '
        'expected_stage: STAGE_DEV reason: "ship"'],
    "Registry/Rollback": ['name: "fraud" to_version: "1.0.0" reason: "bad"'],
    "Registry/ListEvents": ['name: "fraud" after_revision: 1 page_size: 5'],
    "Registry/UpdateModel": [
        'name: "fraud" update: "description" update: "owner" '
        'update: "primary_metric" description: "d" owner: "o" '
        'primary_metric: "accuracy" set_tags { key: "k" value: "v" } '
        'delete_tags: "tier" set_metric_goals { key: "latency_ms" '
        'value: METRIC_GOAL_LOWER } reason: "r"'],
    "Registry/UpdateVersion": [
        'name: "fraud" version: "1.0.0" update: "description" '
        'update: "signature" description: "d" %s '
        'set_tags { key: "k" value: "v" } delete_tags: "team"' % SIG],
    "Registry/SetApprovalPolicy": [
        'name: "fraud" stage: STAGE_PRODUCTION approvers: "fuzz-reviewer" '
        'required: 1 reason: "r"'],
    "Registry/Review": [
        'name: "fraud" version: "1.0.0" stage: STAGE_PRODUCTION '
        'decision: DECISION_APPROVE comment: "ok"'],
    "Registry/Deprecate": [
        'name: "fraud" version: "1.0.0" reason: "old" '
        'end_of_life_ms: 1900000000000',
        'name: "fraud" version: "1.0.0" undo: true'],
    "Registry/SetAlias": [
        'name: "fraud" alias: "champion" version: "1.0.0" reason: "r"'],
    "Registry/DeleteAlias": ['name: "fraud" alias: "champion"'],
    "Registry/SetTrafficSplit": [
        'name: "fraud" canary_stage: STAGE_STAGING basis_points: 500'],
    "Registry/Resolve": ['name: "fraud" routing_key: "user-42"'],
    "Registry/CompareVersions": [
        'name: "fraud" baseline: "1.0.0" candidate: "latest"'],
    "Registry/SearchVersions": [
        'filter: "name GLOB \'fr*\' AND (metrics.accuracy >= 0.5 OR NOT '
        'deprecated = true) AND features CONTAINS \'age\'" '
        'order_by: "created_at DESC, version" page_size: 10'],
    "Artifacts/FindMissingChunks": [
        'digests: %s digests: %s' % (h(CHUNK_SHA), h(bytes(32)))],
    "Artifacts/PutChunk": [
        'digest: %s encoding: CHUNK_ENCODING_RAW raw_length: %d data: %s'
        % (h(CHUNK_SHA), len(CHUNK), h(CHUNK))],
    "Artifacts/GetChunk": ['digest: %s' % h(CHUNK_SHA)],
    "Audit/ListAudit": ['model: "fraud" from_ms: 1 page_size: 10'],
    "Audit/VerifyAudit": [''],
    "Lineage/AddNode": [
        'kind: NODE_KIND_DATASET name: "ds" version: "2024" '
        'properties { key: "uri" value: "s3://b/ds" }',
        'kind: NODE_KIND_EXPERIMENT name: "exp-1" upstream { '
        'from: "dataset:ds@2024" type: EDGE_TYPE_TRAINED_ON }'],
    "Lineage/AddEdge": [
        'edge { from: "dataset:ds@2024" to: "experiment:exp-1" '
        'type: EDGE_TYPE_TRAINED_ON }'],
    "Lineage/DeleteNode": ['id: "experiment:exp-1"'],
    "Lineage/GetNode": ['id: "dataset:ds@2024"'],
    "Lineage/Walk": [
        'id: "dataset:ds@2024" direction: DIRECTION_DOWNSTREAM depth: 3 '
        'page_size: 10'],
    "Lineage/Impact": ['id: "dataset:ds@2024" depth: 4 page_size: 10'],
    "Lineage/Path": [
        'from: "dataset:ds@2024" to: "model:fraud@1.0.0" depth: 8'],
    "Lineage/ListNodes": ['kind: NODE_KIND_DATASET page_size: 10'],
    "Watch/Info": [''],
    "Watch/WatchSince": ['name: "fraud" after_revision: 0 page_size: 10'],
    "Scrub/Run": ['max_chunks: 10 max_bytes: 1048576'],
    "Admin/Backup": ['dir: "/tmp/modelreg-fuzz-backup"'],
    "Admin/CollectGarbage": ['grace_ms: 3600000 dry_run: true'],
    "Registry/DeleteVersion": [
        'name: "fraud" version: "1.0.0" reason: "superseded"'],
    "Registry/DeleteModel": ['name: "fraud" reason: "retired"'],
    "Auth/CreateToken": [
        'identity: "ci" grants { role: ROLE_WRITER models: "fraud-*" } '
        'grants { role: ROLE_APPROVER models: "*" '
        'stage: STAGE_PRODUCTION } description: "d" '
        'expires_at_ms: 4102444800000'],
    "Auth/ListTokens": [''],
    "Auth/RevokeToken": ['id: "0123456789abcdef" reason: "lost"'],
    "Auth/WhoAmI": [''],
}

# Who calls (fuzz_request.c's callers, in order): an admin, a second
# admin for reviews of versions the first registered, a reader of fuzz-*
# and a caller without a token. The selector byte is the method's index
# plus the method count times the caller's.
CALLERS = ["fuzz", "fuzz-reviewer", "fuzz-reader", ""]
SECOND_USER = {"Registry/Review"}

FILTERS = [
    b"name = 'fraud-*' AND stage = production",
    b"metrics.accuracy > 0.9 OR (tags.team EXISTS AND NOT deprecated = true)",
    b"version >= 1.2.0-rc.1 AND created_at < '2024-01-01T00:00:00Z'",
    b"features CONTAINS \"age\" AND model.tags.tier != 2",
    b"hyperparameters.max_depth GLOB '[0-9]*' AND alias = champion",
    b"created_at DESC, name ASC, metrics.accuracy",
]

VERSION_PAIRS = [
    ("1.2.3", "1.2.4"), ("1.0.0-rc.1", "1.0.0-rc.2"),
    ("2.0.0-alpha", "2.0.0-gamma"),
    ("10.0.0", "9.10.0"), ("1.0.0-a.b.c", "1.0.0-a.b.1"),
]


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    tmp = tempfile.mkdtemp(prefix="modelreg-seeds-")
    try:
        protos = sorted(glob.glob(os.path.join(PROTO, "*.proto")))
        subprocess.check_call(["protoc", "-I" + PROTO,
                               "--python_out=" + tmp] + protos)
        sys.path.insert(0, tmp)
        from google.protobuf import symbol_database, text_format
        mods = [__import__(os.path.basename(p)[:-6] + "_pb2")
                for p in protos]
        env = __import__("envelope_pb2")
        db = symbol_database.Default()

        methods = {}
        for m in mods:
            for svc in m.DESCRIPTOR.services_by_name.values():
                for meth in svc.methods:
                    methods["/%s/%s" % (svc.full_name, meth.name)] = meth
        names = sorted(methods)  # fuzz_request.c's order (strcmp)
        missing = {"/modelreg.v1." + k for k in REQUESTS} ^ set(names)
        if missing:
            sys.exit("seeds.py: REQUESTS and proto/ differ: %s"
                     % sorted(missing))

        for t in ("fuzz_request", "fuzz_dispatch", "fuzz_manifest",
                  "fuzz_filter", "fuzz_keys", "fuzz_chunk"):
            shutil.rmtree(os.path.join(OUT, t), ignore_errors=True)

        for i, full in enumerate(names):
            short = full[len("/modelreg.v1."):]
            cls = db.GetSymbol(methods[full].input_type.full_name)
            for k, text in enumerate(REQUESTS[short]):
                payload = text_format.Parse(text, cls()).SerializeToString()
                caller = 1 if short in SECOND_USER else 0
                sel = i + len(names) * caller
                base = "%s-%d" % (short.replace("/", "."), k)
                write("fuzz_request", base, bytes([sel]) + payload)
                # fuzz_dispatch appends the admin's token itself.
                rq = env.Request(method=full, payload=payload)
                write("fuzz_dispatch", base, rq.SerializeToString())
            # Each method once more by the reader and by nobody.
            payload = text_format.Parse(REQUESTS[short][0],
                                        cls()).SerializeToString()
            for caller in (2, 3):
                write("fuzz_request", "%s-as-%d" % (short.replace("/", "."),
                                                     caller),
                      bytes([i + len(names) * caller]) + payload)

        # Envelopes with the optional fields set.
        reg = REQUESTS["Registry/SetAlias"][0]
        payload = text_format.Parse(
            reg, db.GetSymbol("modelreg.v1.SetAliasRequest")()
        ).SerializeToString()
        rq = env.Request(method="/modelreg.v1.Registry/SetAlias",
                         payload=payload,
                         idempotency_key="seed-key-1",
                         deadline_unix_ms=4102444800000)
        rq.metadata["trace-id"] = "abc123"
        write("fuzz_dispatch", "envelope-idempotent", rq.SerializeToString())
        rq = env.Request(method="/modelreg.v1.Registry/GetModel",
                         payload=b"\x0a\x05fraud", deadline_unix_ms=1)
        write("fuzz_dispatch", "envelope-late", rq.SerializeToString())

        mf = db.GetSymbol("modelreg.v1.Manifest")
        write("fuzz_manifest", "one-file",
              text_format.Parse(MANIFEST, mf()).SerializeToString())
        write("fuzz_manifest", "directory", text_format.Parse(
            manifest_text([("a/weights.bin", CHUNK), ("config.json", b"{}"),
                           ("tokenizer/vocab.txt", b"a\nb\n")]),
            mf()).SerializeToString())

        for k, f in enumerate(FILTERS):
            write("fuzz_filter", "filter-%d" % k, f)
        for k, (a, b) in enumerate(VERSION_PAIRS):
            if len(a) != len(b):
                continue
            write("fuzz_keys", "versions-%d" % k, (a + b).encode())

        # fuzz_chunk: encoding, 3-byte length, then the data (whose bytes
        # 1..32 also serve as the digest).
        n = len(CHUNK)
        head = struct.pack(">I", n)[1:]
        write("fuzz_chunk", "raw", bytes([0]) + head + CHUNK)
        frame = subprocess.run(["zstd", "-q", "-c", "-3", "--no-check"],
                               input=CHUNK, stdout=subprocess.PIPE,
                               check=True).stdout
        write("fuzz_chunk", "zstd", bytes([1]) + head + frame)
    finally:
        shutil.rmtree(tmp)
    total = sum(os.path.getsize(p) for p in
                glob.glob(os.path.join(OUT, "*", "*")))
    print("seeds.py: %d files, %d bytes in %s"
          % (len(glob.glob(os.path.join(OUT, "*", "*"))), total, OUT))


if __name__ == "__main__":
    main()
