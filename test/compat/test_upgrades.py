"""Compat suite "upgrades": databases of older MLMD schema versions, made by the ml-metadata package's own downgrade,
upgraded by our server, then read by the package; and the reverse, our downgrade read back by the package's upgrade.
On all three backends (SQLite files, PostgreSQL and MySQL/MariaDB databases).

(a) The package writes every kind of record at schema 10 and downgrades to version N. Our server, started with
    --enable_database_upgrade (on MySQL: exactly Kubeflow's flags), upgrades it to 10 and must serve what the package
    itself serves after downgrading and upgrading an identical SQLite file (the reference: the package's own
    PostgreSQL upgrade from versions below 9 fails, "integer out of range", its v9 step declares timestamps INT); it
    writes more records; the package opens the result and reads everything our server reads.
(b) Our server writes the records and --downgrade_db_schema_version=N takes the database down; the package upgrades
    it back and finds every node, uri and event that version N can hold (on PostgreSQL from 9 only: the package's
    upgrade across its v9 step fails, see above). Going lower on PostgreSQL, our own upgrade brings it back.

Needs MLMD_TEST_PG_* and MLMD_TEST_MYSQL_* (scripts/pg-cluster.sh, scripts/mariadb-cluster.sh) for those backends.
Run: test/compat/pytest-suite.sh test/compat/test_upgrades.py
"""
import os
import random
import signal
import socket
import subprocess
import time

import pytest
import ml_metadata as mlmd
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from interop_records import snapshot, write_records

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PG = {k: os.environ.get('MLMD_TEST_PG_' + k.upper()) for k in ('host', 'port', 'user', 'password')}
MY = {k: os.environ.get('MLMD_TEST_MYSQL_' + k.upper()) for k in ('host', 'port', 'user', 'password')}
if not PG['host'] or not MY['host']:
  pytest.fail('cannot run: MLMD_TEST_PG_* and MLMD_TEST_MYSQL_* must be set (scripts/pg-cluster.sh, '
              'scripts/mariadb-cluster.sh)', pytrace=False)


class Backend:
  """One database on one backend: its ConnectionConfig for the package and its flags for our server."""

  def __init__(self, kind, tmp_path, tag):
    self.kind = kind
    self.name = 'upg_%s_%d_%06d' % (tag, os.getpid(), random.randrange(10**6))
    self.path = str(tmp_path / (self.name + '.db'))

  def config(self):
    c = pb.ConnectionConfig()
    if self.kind == 'sqlite':
      c.sqlite.filename_uri = self.path
    elif self.kind == 'postgres':
      c.postgresql.host, c.postgresql.port = PG['host'], PG['port']
      c.postgresql.user, c.postgresql.password, c.postgresql.dbname = PG['user'], PG['password'], self.name
    else:
      c.mysql.host, c.mysql.port = MY['host'], int(MY['port'])
      c.mysql.user, c.mysql.password, c.mysql.database = MY['user'], MY['password'], self.name
    return c

  def flags(self):
    if self.kind == 'sqlite':
      return ['--db=%s' % self.path]
    if self.kind == 'postgres':
      return ['--metadata_source_config_type=postgresql', '--postgres_config_host=%s' % PG['host'],
              '--postgres_config_port=%s' % PG['port'], '--postgres_config_user=%s' % PG['user'],
              '--postgres_config_password=%s' % PG['password'], '--postgres_config_dbname=%s' % self.name]
    # Kubeflow's metadata-grpc-deployment arguments.
    return ['--mysql_config_database=%s' % self.name, '--mysql_config_host=%s' % MY['host'],
            '--mysql_config_port=%s' % MY['port'], '--mysql_config_user=%s' % MY['user'],
            '--mysql_config_password=%s' % MY['password']]

  def drop(self):
    if self.kind == 'postgres':
      subprocess.run(['psql', '-q', '-h', PG['host'], '-p', PG['port'], '-U', PG['user'], '-d', 'postgres', '-c',
                      'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name],
                     env=dict(os.environ, PGPASSWORD=PG['password']), capture_output=True)
    elif self.kind == 'mysql':
      subprocess.run(['mariadb', '--no-defaults', '-h', MY['host'], '-P', MY['port'], '-u', MY['user'],
                      '-p' + MY['password'], '-e', 'DROP DATABASE IF EXISTS `%s`' % self.name], capture_output=True)


def run_ours(backend, args, tmp_path, serve=True):
  """Our CLI on `backend`; returns (process, client store) when it serves, the exit status when it is a one-shot."""
  s = socket.socket()
  s.bind(('127.0.0.1', 0))
  port = s.getsockname()[1]
  s.close()
  log = open(tmp_path / ('server-%s.log' % backend.name), 'a')
  proc = subprocess.Popen(['node', '--import', 'tsx', 'src/cli/main.ts', '--grpc_port=%d' % port, '--http_port=-1',
                           '--host=127.0.0.1'] + backend.flags() + args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
  if not serve:
    code = proc.wait(timeout=120)
    log.close()
    return code, (tmp_path / ('server-%s.log' % backend.name)).read_text()
  deadline = time.time() + 60
  while True:
    if proc.poll() is not None:
      log.close()
      pytest.fail('our server exited: ' + (tmp_path / ('server-%s.log' % backend.name)).read_text())
    try:
      socket.create_connection(('127.0.0.1', port), timeout=1).close()
      break
    except OSError:
      assert time.time() < deadline, 'our server did not listen'
      time.sleep(0.1)
  return proc, mlmd.MetadataStore(pb.MetadataStoreClientConfig(host='127.0.0.1', port=port)), log


def stop(proc, log):
  proc.send_signal(signal.SIGTERM)
  proc.wait(timeout=30)
  log.close()


def upgraded_by_package(config):
  """The package's own store on `config` with its upgrade enabled (as an MLMD 1.17 user would open an old one)."""
  return metadata_store.MetadataStore(config, enable_upgrade_migration=True)


# Versions where the layout changes most (every version's SQLite file is upgraded in test/integration/migrations).
CASES = [('sqlite', 0), ('postgres', 1), ('postgres', 5), ('postgres', 8), ('mysql', 0), ('mysql', 4), ('mysql', 7)]


@pytest.mark.parametrize('kind,version', CASES, ids=['%s-v%d' % c for c in CASES])
def test_package_downgraded_database_upgraded_by_us(kind, version, tmp_path):
  reference, ours = Backend('sqlite', tmp_path, 'ref'), Backend(kind, tmp_path, 'ours')
  try:
    for b in (reference, ours):
      write_records(mlmd.MetadataStore(b.config()), 'old', v10_values=False)
      metadata_store.downgrade_schema(b.config(), version)
    expected = snapshot(upgraded_by_package(reference.config()))

    proc, store, log = run_ours(ours, ['--enable_database_upgrade=true'], tmp_path)
    try:
      got = snapshot(store)
      # The two databases were written apart: times differ, everything else is the same. (The package's PostgreSQL
      # downgrade below 9 keeps the external_id columns, and their values, which the reference loses.)
      keep = kind != 'postgres' or version >= 9
      assert comparable(got, times=False, external_ids=keep) == comparable(expected, times=False, external_ids=keep)
      write_records(store, 'new')
      after = snapshot(store)
    finally:
      stop(proc, log)
    assert comparable(snapshot(mlmd.MetadataStore(ours.config()))) == comparable(after)
  finally:
    reference.drop()
    ours.drop()


DOWN_CASES = [('sqlite', 3), ('postgres', 9), ('mysql', 0), ('mysql', 6)]


@pytest.mark.parametrize('kind,version', DOWN_CASES, ids=['%s-v%d' % c for c in DOWN_CASES])
def test_our_downgrade_upgraded_by_the_package(kind, version, tmp_path):
  b = Backend(kind, tmp_path, 'down')
  try:
    proc, store, log = run_ours(b, [], tmp_path)
    try:
      write_records(store, 'ours')
      before = core(store)
    finally:
      stop(proc, log)
    code, out = run_ours(b, ['--downgrade_db_schema_version=%d' % version], tmp_path, serve=False)
    assert code == 0, out
    assert 'downgrade to schema version %d done' % version in out
    assert core(upgraded_by_package(b.config())) == before
  finally:
    b.drop()


def test_our_postgres_downgrade_to_1_and_back(tmp_path):
  b = Backend('postgres', tmp_path, 'round')
  try:
    proc, store, log = run_ours(b, [], tmp_path)
    try:
      write_records(store, 'ours', v10_values=False)
      before = core(store)
    finally:
      stop(proc, log)
    code, out = run_ours(b, ['--downgrade_db_schema_version=1'], tmp_path, serve=False)
    assert code == 0, out
    proc, store, log = run_ours(b, ['--enable_database_upgrade=true'], tmp_path)
    try:
      assert core(store) == before
    finally:
      stop(proc, log)
  finally:
    b.drop()


def comparable(snap, times=True, external_ids=True):
  """A snapshot with doubles rounded to 6 decimals (upstream's SQLite reader rounds them; we keep full precision)
  and, unless `times`, without create/update times (for databases written at other moments), unless `external_ids`
  without the nodes' external ids."""
  out = dict(snap)
  for key, cls in (('artifacts', pb.Artifact), ('executions', pb.Execution), ('contexts', pb.Context)):
    normalized = []
    for raw in snap[key]:
      m = cls.FromString(raw)
      for props in (m.properties, m.custom_properties):
        for v in props.values():
          if v.WhichOneof('value') == 'double_value':
            v.double_value = round(v.double_value, 6)
      if not times:
        m.ClearField('create_time_since_epoch')
        m.ClearField('last_update_time_since_epoch')
      if not external_ids:
        m.ClearField('external_id')
      normalized.append(m.SerializeToString(deterministic=True))
    out[key] = sorted(normalized)
  return out


def core(store):
  """What every schema version holds: artifacts (id, uri), executions (id) and events (artifact, execution, type)."""
  arts = store.get_artifacts()
  execs = store.get_executions()
  events = store.get_events_by_execution_ids([e.id for e in execs])
  return (sorted((a.id, a.uri) for a in arts), sorted(e.id for e in execs),
          sorted((e.artifact_id, e.execution_id, e.type) for e in events))
