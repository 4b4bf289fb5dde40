"""CRUD benchmark, Python side: the ml-metadata client in gRPC mode against a server, or in-process on SQLite.

usage: crud.py grpc HOST:PORT | inproc SQLITE_FILE   --singles N --batches N --batch-size N --warmup N
Prints one JSON document on stdout: {"put1": secs, "put100": secs, "get1": secs, "get100": secs, counts...}.
The workload is the same as bench/crud.ts: one artifact type, artifacts with a uri, a name, a declared string
property and a custom int property; single puts, batch puts, then gets of the ids just written.
"""
import argparse
import json
import sys
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['grpc', 'inproc'])
    ap.add_argument('target')
    ap.add_argument('--singles', type=int, default=2000)
    ap.add_argument('--batches', type=int, default=200)
    ap.add_argument('--batch-size', type=int, default=100)
    ap.add_argument('--warmup', type=int, default=100)
    a = ap.parse_args()

    if a.mode == 'grpc':
        host, port = a.target.rsplit(':', 1)
        config = metadata_store_pb2.MetadataStoreClientConfig(host=host, port=int(port))
    else:
        config = metadata_store_pb2.ConnectionConfig()
        config.sqlite.filename_uri = a.target
        config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)

    t = metadata_store_pb2.ArtifactType(name='bench.CrudArtifact')
    t.properties['split'] = metadata_store_pb2.STRING
    type_id = store.put_artifact_type(t)

    def artifact(tag, i):
        x = metadata_store_pb2.Artifact(type_id=type_id, uri='gs://bench/crud/%s/%d' % (tag, i), name='%s-%d' % (tag, i))
        x.properties['split'].string_value = 'train'
        x.custom_properties['n'].int_value = i
        return x

    # warm-up (not measured)
    warm = [store.put_artifacts([artifact('warm', i)])[0] for i in range(a.warmup)]
    for i in range(a.warmup):
        store.get_artifacts_by_id([warm[i]])

    out = {'singles': a.singles, 'batches': a.batches, 'batch_size': a.batch_size}
    t0 = time.perf_counter()
    single_ids = [store.put_artifacts([artifact('s', i)])[0] for i in range(a.singles)]
    out['put1'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    batch_ids = []
    for b in range(a.batches):
        batch_ids.append(store.put_artifacts([artifact('b%d' % b, i) for i in range(a.batch_size)]))
    out['put100'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(a.singles):
        got = store.get_artifacts_by_id([single_ids[(i * 7) % len(single_ids)]])
        assert len(got) == 1
    out['get1'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for b in range(a.batches):
        got = store.get_artifacts_by_id(batch_ids[(b * 7) % len(batch_ids)])
        assert len(got) == a.batch_size
    out['get100'] = time.perf_counter() - t0

    print(json.dumps(out))


if __name__ == '__main__':
    sys.exit(main())
