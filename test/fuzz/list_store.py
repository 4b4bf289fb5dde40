"""After a fuzz run: the ml-metadata package (in-process, Google's C++ store) opens the SQLite file our server
wrote and lists every record. Any record it cannot read fails the listing (an exception). Prints JSON counts.

usage: list_store.py SQLITE_FILE
"""
import json
import sys

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2


def main():
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = sys.argv[1]
  config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
  store = metadata_store.MetadataStore(config)
  artifacts = store.get_artifacts()
  executions = store.get_executions()
  contexts = store.get_contexts()
  events = []
  ids = [e.id for e in executions]
  for i in range(0, len(ids), 500):
    events.extend(store.get_events_by_execution_ids(ids[i:i + 500]))
  print(json.dumps({
      'artifacts': len(artifacts),
      'executions': len(executions),
      'contexts': len(contexts),
      'events': len(events),
      'artifact_types': len(store.get_artifact_types()),
      'execution_types': len(store.get_execution_types()),
      'context_types': len(store.get_context_types()),
  }))


if __name__ == '__main__':
  sys.exit(main())
