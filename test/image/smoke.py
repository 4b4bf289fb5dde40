"""One real round trip through Google's ml-metadata client: `smoke.py PORT` puts a type, an artifact and an
execution linked by an event on the server at 127.0.0.1:PORT, reads them back and prints `round trip ok` (exit 0)."""
import sys
import uuid

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

store = metadata_store.MetadataStore(
    metadata_store_pb2.MetadataStoreClientConfig(host="127.0.0.1", port=int(sys.argv[1]))
)
suffix = uuid.uuid4().hex[:8]
artifact_type = metadata_store_pb2.ArtifactType(name=f"Dataset_{suffix}")
artifact_type.properties["rows"] = metadata_store_pb2.INT
type_id = store.put_artifact_type(artifact_type)
artifact = metadata_store_pb2.Artifact(type_id=type_id, uri=f"s3://bucket/{suffix}")
artifact.properties["rows"].int_value = 2**40
[artifact_id] = store.put_artifacts([artifact])
execution_type_id = store.put_execution_type(metadata_store_pb2.ExecutionType(name=f"Trainer_{suffix}"))
[execution_id] = store.put_executions([metadata_store_pb2.Execution(type_id=execution_type_id)])
store.put_events([metadata_store_pb2.Event(artifact_id=artifact_id, execution_id=execution_id, type=metadata_store_pb2.Event.INPUT)])

[got] = store.get_artifacts_by_id([artifact_id])
assert got.uri == f"s3://bucket/{suffix}" and got.properties["rows"].int_value == 2**40, got
[event] = store.get_events_by_execution_ids([execution_id])
assert event.artifact_id == artifact_id, event
print("round trip ok")
