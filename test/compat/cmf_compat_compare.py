"""Compares the MLMD store cmflib wrote with the one our SDK + server wrote for the same pipeline, and CmfQuery's
answers on both. Usage: python cmf_compat_compare.py <cmflib project dir> <our project dir>

Normalised away: ids of records (references such as Context_ID or the execution id in a Model name are kept and
compared), timestamps, uuid1 values, git commit shas, and the content hashes of the Parquet files (pandas and our
writer produce different bytes; their contents are compared as DataFrames instead).
Prints one line per check and "N passed, M failed" at the end; exit 1 on any failure.
"""
import json
import os
import re
import sys

import pandas as pd
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlpb

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHA = re.compile(r"\b[0-9a-f]{40}\b")
# Git fields are normalised whole: cmflib 0.1.0 (PyPI) leaves Git_End_Commit empty at finalize() (it only commits),
# while our SDK records HEAD there (cmflib's later behaviour).
GIT_KEYS = {"Git_End_Commit", "Git_Start_Commit"}

RESULTS = []


def check(name, ours, theirs):
    ok = ours == theirs
    RESULTS.append(ok)
    print(("PASS " if ok else "FAIL ") + name)
    if not ok:
        a = json.dumps(theirs, indent=1, sort_keys=True, default=str).splitlines()
        b = json.dumps(ours, indent=1, sort_keys=True, default=str).splitlines()
        import difflib
        for line in list(difflib.unified_diff(a, b, "cmflib", "ours", lineterm=""))[:80]:
            print("    " + line)


def open_store(path):
    config = mlpb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = 1  # READONLY
    return metadata_store.MetadataStore(config)


class Normaliser:
    """Replaces run-specific text: uuids, shas and the hashes of Parquet files (found from Step_Metrics/Dataslice)."""

    def __init__(self, store):
        self.hashes = {}
        for a in store.get_artifacts():
            t = store.get_artifact_types_by_id([a.type_id])[0].name
            if t in ("Step_Metrics", "Dataslice"):
                self.hashes[a.uri] = "<parquet:%s>" % a.name.split(":")[0].split("/")[-1]

    def text(self, s):
        for h, placeholder in self.hashes.items():
            s = s.replace(h, placeholder)
            s = s.replace(h[:2] + "/" + h[2:], placeholder)
        s = UUID.sub("<uuid>", s)
        s = SHA.sub("<sha>", s)
        return s

    def value(self, v):
        kind = v.WhichOneof("value")
        if kind is None:
            return None
        x = getattr(v, kind)
        return [kind, self.text(x) if isinstance(x, str) else x]

    def props(self, m):
        return {k: "<git>" if k in GIT_KEYS else self.value(v) for k, v in sorted(m.items())}

    def any(self, x):
        if isinstance(x, str):
            return self.text(x)
        if isinstance(x, dict):
            return {self.text(str(k)): "<git>" if k in GIT_KEYS else self.any(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [self.any(v) for v in x]
        return x


def snapshot(path):
    store = open_store(path)
    n = Normaliser(store)
    types = {}
    for kind, getter in (("artifact", store.get_artifact_types), ("execution", store.get_execution_types),
                         ("context", store.get_context_types)):
        for t in getter():
            types["%s:%s" % (kind, t.name)] = {k: mlpb.PropertyType.Name(v) for k, v in sorted(t.properties.items())}
    tname = {}
    for t in store.get_artifact_types() + store.get_execution_types() + store.get_context_types():
        tname[t.id] = t.name
    contexts = {c.id: c for c in store.get_contexts()}
    executions = {e.id: e for e in store.get_executions()}
    artifacts = {a.id: a for a in store.get_artifacts()}
    ckey = {i: "%s:%s" % (tname[c.type_id], c.name) for i, c in contexts.items()}
    ekey = {i: "execution#%d:%s" % (i, tname[e.type_id]) for i, e in executions.items()}
    akey = {i: "%s:%s" % (tname[a.type_id], n.text(a.name)) for i, a in artifacts.items()}
    snap = {
        "types": types,
        "contexts": {ckey[i]: {"properties": n.props(c.properties), "custom": n.props(c.custom_properties), "id": i}
                     for i, c in contexts.items()},
        "executions": {ekey[i]: {"name": e.name, "properties": n.props(e.properties),
                                 "custom": n.props(e.custom_properties)} for i, e in executions.items()},
        "artifacts": {akey[i]: {"uri": n.text(a.uri), "properties": n.props(a.properties),
                                "custom": n.props(a.custom_properties)} for i, a in artifacts.items()},
        "events": sorted(
            [ekey[ev.execution_id], akey[ev.artifact_id], mlpb.Event.Type.Name(ev.type),
             [n.text(s.key) if s.HasField("key") else s.index for s in ev.path.steps],
             ev.milliseconds_since_epoch > 0]
            for ev in store.get_events_by_execution_ids(list(executions))),
        "attributions": sorted([ckey[c], akey[a.id]] for c in contexts for a in store.get_artifacts_by_context(c)),
        "associations": sorted([ckey[c], ekey[e.id]] for c in contexts for e in store.get_executions_by_context(c)),
        "parents": sorted([ckey[c], ckey[p.id]] for c in contexts for p in store.get_parent_contexts_by_context(c)),
    }
    return snap, n


def df_records(df, n, drop=("create_time_since_epoch", "last_update_time_since_epoch")):
    if df is None:
        return None
    if isinstance(df, pd.DataFrame):
        df = df.drop(columns=[c for c in drop if c in df.columns])
        df = df.reindex(sorted(df.columns), axis=1)
        rows = json.loads(df.to_json(orient="records"))
        rows = [n.any(r) for r in rows]
        return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return n.any(df)


def exec_protos(execs, n):
    return [[e.name, n.props(e.properties), n.props(e.custom_properties)] for e in execs]


def cmfquery_answers(path, n):
    from cmflib.cmfquery import CmfQuery
    q = CmfQuery(filepath=path)
    out = {}
    out["get_pipeline_names"] = q.get_pipeline_names()
    out["get_pipeline_id"] = q.get_pipeline_id("compat") > 0
    stages = q.get_pipeline_stages("compat")
    out["get_pipeline_stages"] = stages
    out["get_all_artifact_types"] = sorted(q.get_all_artifact_types())
    names = q.get_all_artifacts()
    out["get_all_artifacts"] = sorted(n.text(x) for x in names)
    out["get_all_artifacts_by_context"] = df_records(q.get_all_artifacts_by_context("compat"), n)
    for stage in stages:
        out["get_all_exe_in_stage:" + stage] = exec_protos(q.get_all_exe_in_stage(stage), n)
        df = q.get_all_executions_in_stage(stage)
        out["get_all_executions_in_stage:" + stage] = df_records(df, n)
        for exec_id in df["id"].tolist():
            out["get_all_artifacts_for_execution:%s:%d" % (stage, len(out))] = df_records(
                q.get_all_artifacts_for_execution(int(exec_id)), n)
    for name in sorted(names):
        key = n.text(name)
        out["get_artifact:" + key] = df_records(q.get_artifact(name), n)
        ex = q.get_all_executions_for_artifact(name)
        if isinstance(ex, pd.DataFrame) and "execution_type_name" in ex.columns:
            ex["execution_type_name"] = ex["execution_type_name"].map(str)
        out["get_all_executions_for_artifact:" + key] = df_records(ex, n)
        out["get_one_hop_child_artifacts:" + key] = df_records(q.get_one_hop_child_artifacts(name), n)
        out["get_all_child_artifacts:" + key] = df_records(q.get_all_child_artifacts(name), n)
        out["get_one_hop_parent_artifacts:" + key] = df_records(q.get_one_hop_parent_artifacts(name), n)
        out["get_all_parent_artifacts:" + key] = df_records(q.get_all_parent_artifacts(name), n)
        out["get_all_parent_executions:" + key] = df_records(q.get_all_parent_executions(name), n)
        producer = q.find_producer_execution(name)
        out["find_producer_execution:" + key] = exec_protos([producer], n) if producer else None
    dump = json.loads(q.dumptojson("compat"))
    out["dumptojson"] = strip_dump(n.any(dump))
    return out


def strip_dump(x):
    if isinstance(x, dict):
        return {k: strip_dump(v) for k, v in x.items()
                if k not in ("create_time_since_epoch", "last_update_time_since_epoch")}
    if isinstance(x, list):
        return [strip_dump(v) for v in x]
    return x


def parquet_frames(project):
    frames = {}
    base = os.path.join(project, "cmf_artifacts")
    for dirpath, _dirs, files in os.walk(base):
        for f in files:
            full = os.path.join(dirpath, f)
            kind = os.path.basename(dirpath)
            if kind in ("metrics", "dataslice") and not f.startswith(".") and not f.endswith(".dvc"):
                df = pd.read_parquet(full)
                frames["%s/%s" % (kind, f)] = {
                    "index": [df.index.name, [str(i) for i in df.index]],
                    "columns": {c: [str(df[c].dtype).replace("str", "object") if str(df[c].dtype) in ("str", "string") else str(df[c].dtype),
                                    json.loads(df[c].to_json(orient="values"))] for c in sorted(df.columns)},
                }
    return frames


def cmfquery_like_ours(path):
    """CmfQuery's answers on `path` in the shape `cmf-pipeline-sdk.ts --query` prints ours."""
    from cmflib.cmfquery import CmfQuery
    q = CmfQuery(filepath=path)
    names_of = lambda df: sorted(df["name"].tolist()) if isinstance(df, pd.DataFrame) and "name" in df.columns else []
    ids_of = lambda df: sorted(int(x) for x in df["id"].tolist()) if isinstance(df, pd.DataFrame) and "id" in df.columns else []
    out = {"pipeline_names": q.get_pipeline_names()}
    stages = q.get_pipeline_stages("compat")
    out["stages"] = stages
    names = set()
    for stage in stages:
        ids = ids_of(q.get_all_executions_in_stage(stage))
        out["executions:" + stage] = ids
        for i in ids:
            df = q.get_all_artifacts_for_execution(i)
            rows = sorted([r["name"], r["event"]] for _, r in df.iterrows())
            out["artifacts_for_execution:%d" % i] = rows
            names.update(r[0] for r in rows)
            for _, r in df.iterrows():
                if r["type"] in ("Step_Metrics", "Dataslice"):
                    frame = pd.read_parquet(os.path.join(os.path.dirname(path), r["name"].split(":")[0])).reset_index()
                    cols = [c for c in frame.columns if c != frame.columns[0]] + [frame.columns[0]]
                    out["parquet:" + r["name"]] = json.loads(frame[cols].to_json(orient="records"))
    for name in sorted(names):
        df = q.get_all_executions_for_artifact(name)
        out["executions_for_artifact:" + name] = sorted(
            [r["Type"], int(r["execution_id"]), r["execution_type_name"].string_value, r["stage"], r["pipeline"]]
            for _, r in df.iterrows())
        out["one_hop_child:" + name] = names_of(q.get_one_hop_child_artifacts(name))
        out["all_child:" + name] = names_of(q.get_all_child_artifacts(name))
        out["one_hop_parent:" + name] = names_of(q.get_one_hop_parent_artifacts(name))
        out["all_parent:" + name] = names_of(q.get_all_parent_artifacts(name))
        out["all_parent_executions:" + name] = ids_of(q.get_all_parent_executions(name))
        producer = q.find_producer_execution(name)
        out["producers:" + name] = [producer.id] if producer else []
    out["dumptojson"] = json.loads(q.dumptojson("compat"))
    return out


def compare_on_same_file(label, path, ours_json):
    """Our CmfService and CmfQuery opened on the same file: identical answers, no normalisation."""
    with open(ours_json) as f:
        ours = json.load(f)
    ours["dumptojson"] = json.loads(ours["dumptojson"])
    theirs = cmfquery_like_ours(path)
    for key in sorted(set(ours) | set(theirs)):
        check("CmfService vs CmfQuery on %s: %s" % (label, key), ours.get(key), theirs.get(key))


def main():
    theirs_dir, ours_dir = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 4:
        compare_on_same_file("cmflib's file", os.path.join(theirs_dir, "mlmd"), sys.argv[3])
        compare_on_same_file("our file", os.path.join(ours_dir, "mlmd"), sys.argv[4])
    theirs, n_theirs = snapshot(os.path.join(theirs_dir, "mlmd"))
    ours, n_ours = snapshot(os.path.join(ours_dir, "mlmd"))
    for part in ("types", "contexts", "executions", "artifacts", "events", "attributions", "associations", "parents"):
        check("records: " + part, ours[part], theirs[part])
    check("parquet files read back by pandas", parquet_frames(ours_dir), parquet_frames(theirs_dir))

    a = cmfquery_answers(os.path.join(theirs_dir, "mlmd"), n_theirs)
    b = cmfquery_answers(os.path.join(ours_dir, "mlmd"), n_ours)
    for key in sorted(set(a) | set(b)):
        check("CmfQuery." + key, b.get(key), a.get(key))
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    sys.exit(0 if all(RESULTS) else 1)


if __name__ == "__main__":
    main()
