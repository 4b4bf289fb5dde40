"""Compat suite "postgres-interop": one PostgreSQL database, two implementations.

(a) upstream -> ours: ml-metadata's in-process store with a PostgreSQL ConnectionConfig creates the database and
    writes every kind of record and Value; our server is started on it and must serve every record equal to what the
    in-process store reads; records written through our server are then read back equal by the in-process store.
(b) ours -> upstream: our server creates the database and writes the same records; the in-process store opens it,
    reads them equal to what our server returned, writes more, and our server serves those equal too.

Needs MLMD_TEST_PG_HOST/PORT/USER/PASSWORD (scripts/pg-cluster.sh). Server command: node --import tsx src/cli/main.ts.
Run: test/compat/pytest-suite.sh test/compat/test_postgres_interop.py
"""
import os
import random
import signal
import socket
import subprocess
import time

import pytest
import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2 as pb

from interop_records import snapshot, write_records

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PG = {k: os.environ.get('MLMD_TEST_PG_' + k.upper()) for k in ('host', 'port', 'user', 'password')}
if not PG['host']:
  pytest.fail('cannot run: MLMD_TEST_PG_HOST/PORT/USER/PASSWORD are not set (scripts/pg-cluster.sh)', pytrace=False)


def pg_config(dbname):
  c = pb.ConnectionConfig()
  c.postgresql.host = PG['host']
  c.postgresql.port = PG['port'] or '5432'
  c.postgresql.user = PG['user'] or 'postgres'
  c.postgresql.password = PG['password'] or ''
  c.postgresql.dbname = dbname
  return c


def fresh_dbname(tag):
  return 'interop_%s_%d_%06d' % (tag, os.getpid(), random.randrange(10**6))


class OurServer:
  """Our server (the CLI) on a PostgreSQL database named by a text-format server config."""

  def __init__(self, dbname, tmp_path):
    cfg = tmp_path / ('server-%s.pbtxt' % dbname)
    p = pg_config(dbname).postgresql
    cfg.write_text('connection_config { postgresql { host: "%s" port: "%s" user: "%s" password: "%s" dbname: "%s" } }\n'
                   % (p.host, p.port, p.user, p.password, p.dbname))
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    self.port = s.getsockname()[1]
    s.close()
    self.log = open(tmp_path / ('server-%s.log' % dbname), 'w')
    self.proc = subprocess.Popen(
        ['node', '--import', 'tsx', 'src/cli/main.ts', '--grpc_port=%d' % self.port, '--http_port=-1', '--host=127.0.0.1',
         '--metadata_store_server_config_file=%s' % cfg], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
      assert self.proc.poll() is None, 'our server exited; see its log'
      try:
        socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
        break
      except OSError:
        assert time.time() < deadline, 'our server did not listen'
        time.sleep(0.1)
    cc = pb.MetadataStoreClientConfig(host='127.0.0.1', port=self.port)
    self.store = mlmd.MetadataStore(cc)

  def stop(self):
    self.proc.send_signal(signal.SIGTERM)
    self.proc.wait(timeout=30)
    self.log.close()


def test_upstream_database_served_by_us_and_back(tmp_path):
  dbname = fresh_dbname('up')
  upstream = mlmd.MetadataStore(pg_config(dbname))
  write_records(upstream, 'up')
  expected = snapshot(upstream)
  assert len(expected['artifacts']) == 2 and len(expected['events']) == 2

  server = OurServer(dbname, tmp_path)
  try:
    assert snapshot(server.store) == expected
    # Our writes on the upstream-created schema (its int_value is a 32-bit INT).
    write_records(server.store, 'ours')
    ours = snapshot(server.store)
  finally:
    server.stop()
  assert len(ours['artifacts']) == 4
  assert snapshot(mlmd.MetadataStore(pg_config(dbname))) == ours


def test_our_database_used_by_upstream_and_back(tmp_path):
  dbname = fresh_dbname('ours')
  server = OurServer(dbname, tmp_path)
  try:
    write_records(server.store, 'ours')
    ours = snapshot(server.store)
  finally:
    server.stop()

  upstream = mlmd.MetadataStore(pg_config(dbname))
  assert snapshot(upstream) == ours
  write_records(upstream, 'up')
  both = snapshot(upstream)
  assert len(both['artifacts']) == 4 and len(both['events']) == 4

  server = OurServer(dbname, tmp_path)
  try:
    assert snapshot(server.store) == both
    # int64 beyond 32 bits round-trips in databases we create (int_value BIGINT); upstream reads it too.
    t = server.store.get_artifact_type('Model_ours', type_version='v1')
    big = pb.Artifact(type_id=t.id, uri='s3://big')
    big.custom_properties['big'].int_value = 2**62 + 1
    [big_id] = server.store.put_artifacts([big])
    assert server.store.get_artifacts_by_id([big_id])[0].custom_properties['big'].int_value == 2**62 + 1
  finally:
    server.stop()
  assert mlmd.MetadataStore(pg_config(dbname)).get_artifacts_by_id([big_id])[0].custom_properties['big'].int_value == 2**62 + 1
