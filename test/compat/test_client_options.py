"""Compat suite "client-options": what upstream's four gRPC-only client-option tests intend to check.

Upstream's metadata_store_test.py has four tests that are broken in gRPC mode (spec mlmd-rpc.md 8.1: they call the
store factory without its cli_args, or via self.self), so they fail against any server and are listed in
upstream-expected-failures.txt. Their intent is checked here against our server, with the same client library:
  * a 100-byte client receive limit suffices for PutArtifactType + GetArtifactsByType of a small fresh type;
  * a 1-byte client receive limit makes the client raise ResourceExhaustedError;
  * channel_arguments.http2_max_ping_strikes = 0 still allows PutArtifactType + GetArtifactTypes;
The fourth (client_timeout_sec = 0 gives DeadlineExceededError) is left out: whether grpcio fails a call whose
deadline is already due or lets a fast local server answer first is a race inside the client, not server behaviour.
"""
import os
import tempfile
import uuid

import pytest

import ml_metadata as mlmd
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

from test_sqlite_interop import OurServer


@pytest.fixture(scope='module')
def server():
  with tempfile.TemporaryDirectory(prefix='client-options-') as d:
    with OurServer(os.path.join(d, 'mlmd.db'), d) as s:
      yield s


def _store(server, **channel):
  cfg = pb.MetadataStoreClientConfig(host='127.0.0.1', port=server.port)
  if 'max_receive_message_length' in channel:
    cfg.channel_arguments.max_receive_message_length = channel['max_receive_message_length']
  if 'http2_max_ping_strikes' in channel:
    cfg.channel_arguments.http2_max_ping_strikes = channel['http2_max_ping_strikes']
  if 'client_timeout_sec' in channel:
    cfg.client_timeout_sec = channel['client_timeout_sec']
  return mlmd.MetadataStore(cfg)


def _small_type():
  t = pb.ArtifactType(name=f't_{uuid.uuid4().hex[:8]}')
  t.properties['foo'] = pb.INT
  t.properties['bar'] = pb.STRING
  assert t.ByteSize() < 100
  return t


def test_small_receive_limit_is_enough(server):
  store = _store(server, max_receive_message_length=100)
  t = _small_type()
  type_id = store.put_artifact_type(t)
  assert type_id > 0
  assert store.get_artifacts_by_type(t.name) == []


def test_one_byte_receive_limit_raises_resource_exhausted(server):
  store = _store(server, max_receive_message_length=1)
  with pytest.raises(errors.ResourceExhaustedError):
    store.put_artifact_type(_small_type())
    store.get_artifact_types()


def test_http2_max_ping_strikes_zero(server):
  store = _store(server, http2_max_ping_strikes=0)
  t = _small_type()
  store.put_artifact_type(t)
  assert t.name in [x.name for x in store.get_artifact_types()]
