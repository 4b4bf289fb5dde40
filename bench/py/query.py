"""Query benchmark, reference side: the ml-metadata package in-process (Google's C++ store) on a SQLite file.

usage: query.py SQLITE_FILE WORKLOAD_JSON
The workload (written by bench/query.ts) lists named groups of requests; each request is either a GetArtifacts
with a filter_query and max_result_size, or a GetLineageSubgraph with a starting filter, max_num_hops and a
read mask. The requests go to the store's RPC entry point unchanged (store._call: the same request messages our
server receives, without the Python wrapper's extra follow-up calls). Prints JSON {group: {"ms": [...], "rows": n}}.
"""
import json
import sys
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from ml_metadata.proto import metadata_store_service_pb2 as svc


def main():
    path, workload_file = sys.argv[1], sys.argv[2]
    with open(workload_file) as f:
        workload = json.load(f)
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE
    store = metadata_store.MetadataStore(config)

    def request(q):
        if q['kind'] == 'filter':
            req = svc.GetArtifactsRequest()
            req.options.max_result_size = q['maxResultSize']
            req.options.filter_query = q['filter']
            return 'GetArtifacts', req, svc.GetArtifactsResponse
        req = svc.GetLineageSubgraphRequest()
        o = req.lineage_subgraph_query_options
        o.starting_artifacts.filter_query = q['filter']
        o.max_num_hops = q['hops']
        req.read_mask.paths.extend(q['readMask'])
        return 'GetLineageSubgraph', req, svc.GetLineageSubgraphResponse

    def size(method, resp):
        if method == 'GetArtifacts':
            return len(resp.artifacts)
        g = resp.lineage_subgraph
        return len(g.artifacts) + len(g.executions) + len(g.events)

    out = {}
    for group in workload['groups']:
        for q in group['warmup']:
            m, req, resp_t = request(q)
            store._call(m, req, resp_t())
        ms, rows = [], []
        for q in group['samples']:
            m, req, resp_t = request(q)
            resp = resp_t()
            t0 = time.perf_counter()
            store._call(m, req, resp)
            ms.append((time.perf_counter() - t0) * 1000)
            rows.append(size(m, resp))
        out[group['name']] = {'ms': ms, 'rows': rows}
        print('[bench] reference %s done' % group['name'], file=sys.stderr)
    print(json.dumps(out))


if __name__ == '__main__':
    sys.exit(main())
