"""Limits benchmark, reference side: ONE GetArtifacts / GetContexts request to the ml-metadata package in-process
(Google's C++ store) on a SQLite file. The caller runs it with a time limit (a request may never finish).

usage: limit_query.py SQLITE_FILE METHOD FILTER_QUERY MAX_RESULT_SIZE
Prints JSON {"ms": ..., "rows": ...} or {"error": "..."}.
"""
import json
import sys
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from ml_metadata.proto import metadata_store_service_pb2 as svc


def main():
  path, method, filter_query, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = path
  config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE
  store = metadata_store.MetadataStore(config)
  request = getattr(svc, method + 'Request')()
  request.options.max_result_size = size
  request.options.filter_query = filter_query
  response = getattr(svc, method + 'Response')()
  t0 = time.perf_counter()
  try:
    store._call(method, request, response)
  except Exception as e:  # pylint: disable=broad-except
    print(json.dumps({'error': str(e)[:200], 'ms': (time.perf_counter() - t0) * 1000}))
    return
  rows = len(response.artifacts) if method == 'GetArtifacts' else len(response.contexts)
  print(json.dumps({'ms': (time.perf_counter() - t0) * 1000, 'rows': rows}))


if __name__ == '__main__':
  sys.exit(main())
