"""Comparisons for the cmf-server suites, with the real ml-metadata and cmflib packages.

  records  --mlmd FILE --grpc HOST:PORT --pipeline P
      A pushed pipeline is on the server exactly: every execution of the local store (by Execution_uuid) and no
      other, with its properties and custom properties, each of its events with the artifact's type, name, uri,
      properties and custom properties; stages and their parent link. Read through ml-metadata in gRPC mode from our
      server and in-process from the local SQLite file. cmf-server's documented differences are expected, not
      ignored: the execution type is the stage, Context_ID / Pipeline_id are the server's ids, the execution id in
      Model and Metrics names is the server's, and original_create_time_since_epoch is the local record's create time.
  snapshot --grpc HOST:PORT
      A digest of every record of the server (nodes, events, links), for "nothing changed" checks.
  queries  --a FILE --b FILE --pipeline P
      CmfQuery answers the same on both files (a pulled store against the original), normalised: ids, times, the
      execution ids inside Model/Metrics names and original_create_time_since_epoch aside.
  documents A.json B.json [--without-push-time] [--url-sets]
      Two pulled interchange documents agree, normalised the same way. After syncs, --without-push-time drops
      original_create_time_since_epoch (each merge rewrites it to the sending server's create time) and --url-sets
      compares an artifact's comma-separated `url` list as a set (cmf-server appends a location unless it is a
      substring of the list, so the lists' order and repeats depend on the order merges ran in).
Each prints one line per check and ends with "N passed, M failed"; exit 1 when a check failed.
"""
import argparse
import hashlib
import json
import math
import re
import sys

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlpb

PASSED = 0
FAILED = 0


def check(ok, what, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok - {what}")
    else:
        FAILED += 1
        print(f"not ok - {what}" + (f"\n    {detail}" if detail else ""))


def finish():
    print(f"{PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)


def value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


def props(m):
    return {k: value(v) for k, v in m.items()}


EXEC_SUFFIX = re.compile(r":[0-9]+$")


def artifact_name(type_name, name):
    return EXEC_SUFFIX.sub(":#", name) if type_name in ("Model", "Metrics") else name


def open_file(path):
    config = mlpb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mlpb.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def open_grpc(address):
    host, port = address.rsplit(":", 1)
    return metadata_store.MetadataStore(mlpb.MetadataStoreClientConfig(host=host, port=int(port)))


def pipeline_view(store, pipeline):
    """{uuid: execution record} and {stage name: custom properties} of a pipeline, via its stage contexts."""
    ctx = store.get_context_by_type_and_name("Parent_Context", pipeline)
    if ctx is None:
        return {}, {}
    stages = {}
    executions = {}
    types = {t.id: t.name for t in store.get_artifact_types()}
    for stage in store.get_children_contexts_by_context(ctx.id):
        stages[stage.name] = props(stage.custom_properties)
        for x in store.get_executions_by_context(stage.id):
            events = []
            for e in store.get_events_by_execution_ids([x.id]):
                a = store.get_artifacts_by_id([e.artifact_id])[0]
                t = types[a.type_id]
                p = props(a.properties)
                if "metrics_name" in p:
                    p["metrics_name"] = EXEC_SUFFIX.sub(":#", p["metrics_name"])
                events.append({
                    "type": "INPUT" if e.type == mlpb.Event.INPUT else "OUTPUT",
                    "artifact_type": t,
                    "name": artifact_name(t, a.name),
                    "uri": a.uri,
                    "properties": p,
                    "custom_properties": props(a.custom_properties),
                    "create_time": a.create_time_since_epoch,
                })
            x_type = store.get_execution_types_by_id([x.type_id])[0].name
            executions[x.properties["Execution_uuid"].string_value] = {
                "type": x_type,
                "stage": stage.name,
                "properties": props(x.properties),
                "custom_properties": props(x.custom_properties),
                "events": sorted(events, key=lambda e: (e["type"], e["artifact_type"], e["name"])),
                "create_time": x.create_time_since_epoch,
            }
    return executions, stages


def cmd_records(args):
    local, local_stages = pipeline_view(open_file(args.mlmd), args.pipeline)
    server, server_stages = pipeline_view(open_grpc(args.grpc), args.pipeline)
    check(len(local) > 0, f"the local store has executions of {args.pipeline} ({len(local)})")
    check(sorted(server) == sorted(local), "the server holds exactly the local executions (by Execution_uuid)",
          f"local {sorted(local)}\n    server {sorted(server)}")
    check(sorted(server_stages) == sorted(local_stages), "same stages", f"{sorted(local_stages)} vs {sorted(server_stages)}")
    for stage, custom in local_stages.items():
        got = dict(server_stages.get(stage, {}))
        check("original_create_time_since_epoch" in got, f"{stage}: the push time property is set")
        got.pop("original_create_time_since_epoch", None)
        check(got == custom, f"{stage}: stage custom properties", f"{custom} vs {got}")
    for uuid, x in local.items():
        s = server.get(uuid)
        if s is None:
            continue
        check(s["type"] == x["properties"]["Context_Type"], f"{uuid}: the server's execution type is its stage")
        lp = {k: v for k, v in x["properties"].items() if k not in ("Context_ID", "Pipeline_id")}
        sp = {k: v for k, v in s["properties"].items() if k not in ("Context_ID", "Pipeline_id")}
        check(sp == lp, f"{uuid}: execution properties", f"{lp}\n    vs {sp}")
        expected_custom = dict(x["custom_properties"], original_create_time_since_epoch=str(x["create_time"]))
        check(s["custom_properties"] == expected_custom, f"{uuid}: execution custom properties",
              f"{expected_custom}\n    vs {s['custom_properties']}")
        want = []
        for e in x["events"]:
            e = dict(e)
            custom = dict(e["custom_properties"])
            if e["artifact_type"] != "Environment":
                custom["original_create_time_since_epoch"] = str(e["create_time"])
            e["custom_properties"] = custom
            want.append(e)
        strip = lambda evs: [{k: v for k, v in e.items() if k != "create_time"} for e in evs]
        check(strip(s["events"]) == strip(want), f"{uuid}: {len(want)} events with their artifacts",
              json.dumps(strip(want), sort_keys=True) + "\n    vs " + json.dumps(strip(s["events"]), sort_keys=True))
    finish()


def cmd_snapshot(args):
    store = open_grpc(args.grpc)
    artifacts = store.get_artifacts()
    executions = store.get_executions()
    contexts = store.get_contexts()
    events = store.get_events_by_execution_ids([x.id for x in executions]) if executions else []
    links = [(c.id, [p.id for p in store.get_parent_contexts_by_context(c.id)],
              sorted(a.id for a in store.get_artifacts_by_context(c.id)),
              sorted(x.id for x in store.get_executions_by_context(c.id))) for c in contexts]
    text = "\n".join([*(str(a) for a in artifacts), *(str(x) for x in executions), *(str(c) for c in contexts),
                      *(str(e) for e in events), json.dumps(links)])
    print(f"{len(artifacts)} artifacts, {len(executions)} executions, {len(contexts)} contexts, {len(events)} events")
    print(hashlib.sha256(text.encode()).hexdigest())


# ---------------------------------------------------------------- CmfQuery comparison

def rows(df, drop=()):
    """A data frame as a sorted list of normalised rows."""
    if df is None or len(df) == 0:
        return []
    out = []
    for rec in df.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            if k in drop or k in ("id", "create_time_since_epoch", "last_update_time_since_epoch",
                                  "Context_ID", "Pipeline_id", "custom_properties_original_create_time_since_epoch",
                                  "execution_id", "execution_type_name"):
                continue
            if isinstance(v, float) and math.isnan(v):
                continue
            if k == "name" and "type" in rec:
                v = artifact_name(rec["type"], v)
            if k == "metrics_name":
                v = EXEC_SUFFIX.sub(":#", v)
            row[k] = v
        out.append(row)
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def cmd_queries(args):
    from cmflib.cmfquery import CmfQuery
    a, b = CmfQuery(args.a), CmfQuery(args.b)
    p = args.pipeline
    check(a.get_pipeline_names() == b.get_pipeline_names(), "get_pipeline_names",
          f"{a.get_pipeline_names()} vs {b.get_pipeline_names()}")
    check(sorted(a.get_pipeline_stages(p)) == sorted(b.get_pipeline_stages(p)), "get_pipeline_stages")
    xa, xb = a.get_all_executions_in_pipeline(p), b.get_all_executions_in_pipeline(p)
    check(rows(xa) == rows(xb), f"get_all_executions_in_pipeline ({len(xa)} rows)",
          json.dumps(rows(xa), default=str) + "\n    vs " + json.dumps(rows(xb), default=str))
    for stage in sorted(a.get_pipeline_stages(p)):
        check(rows(a.get_all_executions_in_stage(stage)) == rows(b.get_all_executions_in_stage(stage)),
              f"get_all_executions_in_stage({stage})")
    check(rows(a.get_all_artifacts_by_context(p)) == rows(b.get_all_artifacts_by_context(p)),
          "get_all_artifacts_by_context")
    ids_b = {u: i for i, u in zip(xb["id"], xb["Execution_uuid"])}
    for exec_id, uuid in zip(xa["id"], xa["Execution_uuid"]):
        got = b.get_all_artifacts_for_execution(int(ids_b[uuid])) if uuid in ids_b else None
        check(rows(a.get_all_artifacts_for_execution(int(exec_id))) == rows(got),
              f"get_all_artifacts_for_execution({uuid})")
    names_b = {artifact_name(t, n): n for t, n in zip(*_artifacts(b))}
    for t, name in zip(*_artifacts(a)):
        other = names_b.get(artifact_name(t, name))
        check(other is not None, f"{name} is in both stores")
        if other is None:
            continue
        check(rows(a.get_artifact(name)) == rows(b.get_artifact(other)), f"get_artifact({name})")
        check(rows(a.get_all_executions_for_artifact(name), ("stage", "pipeline"))
              == rows(b.get_all_executions_for_artifact(other), ("stage", "pipeline")),
              f"get_all_executions_for_artifact({name})")
        check(rows(a.get_one_hop_child_artifacts(name)) == rows(b.get_one_hop_child_artifacts(other)),
              f"get_one_hop_child_artifacts({name})")
        check(rows(a.get_all_parent_artifacts(name)) == rows(b.get_all_parent_artifacts(other)),
              f"get_all_parent_artifacts({name})")
    check(normalised(a.dumptojson(p), True) == normalised(b.dumptojson(p), True), "dumptojson (normalised)")
    finish()


def _artifacts(q):
    df = q.get_all_artifacts_by_ids_list([a.id for a in q.store.get_artifacts()])
    return list(df["type"]), list(df["name"])


# ---------------------------------------------------------------- documents

def normalised(text, without_push_time=False, url_sets=False):
    doc = json.loads(text)
    drop = {"id", "type_id", "create_time_since_epoch", "last_update_time_since_epoch"}

    def strip(o):
        out = {k: v for k, v in o.items() if k not in drop}
        if without_push_time and "custom_properties" in out:
            out["custom_properties"] = {k: v for k, v in out["custom_properties"].items()
                                        if k != "original_create_time_since_epoch"}
        if "properties" in out:
            p = dict(out["properties"])
            for k in ("Context_ID", "Pipeline_id"):
                p.pop(k, None)
            if "metrics_name" in p:
                p["metrics_name"] = EXEC_SUFFIX.sub(":#", p["metrics_name"])
            if url_sets and isinstance(p.get("url"), str):
                p["url"] = sorted(set(p["url"].split(",")))
            out["properties"] = p
        return out

    result = {}
    for p in doc["Pipeline"]:
        stages = {}
        for s in p["stages"]:
            executions = {}
            for x in s["executions"]:
                events = []
                for e in x["events"]:
                    a = strip(e["artifact"])
                    a["name"] = artifact_name(a["type"], a["name"])
                    events.append(json.dumps({"type": e["type"], "artifact": a}, sort_keys=True))
                x2 = strip(x)
                x2.pop("type", None)  # the stage on a server, the logged type in a local store
                x2["events"] = sorted(events)
                executions[x["properties"]["Execution_uuid"]] = x2
            s2 = strip(s)
            s2["executions"] = executions
            stages[s["name"]] = s2
        p2 = strip(p)
        p2.pop("custom_properties", None)  # a server keeps none (cmf-server never copies them)
        p2["stages"] = stages
        result[p["name"]] = p2
    return result


def cmd_documents(args):
    with open(args.a) as f:
        a = normalised(f.read(), args.without_push_time, args.url_sets)
    with open(args.b) as f:
        b = normalised(f.read(), args.without_push_time, args.url_sets)
    for name in sorted(set(a) | set(b)):
        check(a.get(name) == b.get(name), f"pipeline {name} agrees",
              json.dumps(a.get(name), sort_keys=True)[:3000] + "\n    vs " + json.dumps(b.get(name), sort_keys=True)[:3000])
    finish()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("records")
    r.add_argument("--mlmd", required=True)
    r.add_argument("--grpc", required=True)
    r.add_argument("--pipeline", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--grpc", required=True)
    q = sub.add_parser("queries")
    q.add_argument("--a", required=True)
    q.add_argument("--b", required=True)
    q.add_argument("--pipeline", required=True)
    d = sub.add_parser("documents")
    d.add_argument("a")
    d.add_argument("b")
    d.add_argument("--without-push-time", action="store_true")
    d.add_argument("--url-sets", action="store_true")
    args = parser.parse_args()
    {"records": cmd_records, "snapshot": cmd_snapshot, "queries": cmd_queries, "documents": cmd_documents}[args.cmd](args)


if __name__ == "__main__":
    main()
