"""Compat suite "mysql-interop": one MySQL/MariaDB database, two implementations.

(a) upstream -> ours: ml-metadata's in-process store with a MySQL ConnectionConfig (over TCP) creates the database and
    writes every kind of record and Value, text with non-ASCII characters and backslashes included; our server is
    started on it and must serve every record equal to what the in-process store reads; records written through
    our server are then read back equal by the in-process store.
(b) ours -> upstream: our server (over the Unix socket) creates the database and writes the same records; the
    in-process store (over the socket) opens it, reads them equal, writes more, and our server serves those too.
(c) int64 beyond 32 bits: ours hold them; on a database ml-metadata created (int_value INT) they answer
    INVALID_ARGUMENT naming the property, and nothing is written.
(d) Kubeflow's metadata-grpc-deployment command line, as is (a user with an empty password), on a database the
    package created.

Needs MLMD_TEST_MYSQL_HOST/PORT/USER/PASSWORD/SOCKET (scripts/mariadb-cluster.sh) and the `mariadb` client.
Run: test/compat/pytest-suite.sh test/compat/test_mysql_interop.py
"""
import os
import random
import signal
import socket
import subprocess
import time

import grpc
import pytest
import ml_metadata as mlmd
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

from interop_records import snapshot, write_records

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MY = {k: os.environ.get('MLMD_TEST_MYSQL_' + k.upper()) for k in ('host', 'port', 'user', 'password', 'socket')}
if not MY['host']:
  pytest.fail('cannot run: MLMD_TEST_MYSQL_HOST/PORT/USER/PASSWORD are not set (scripts/mariadb-cluster.sh)', pytrace=False)

# MySQL's text: a backslash, quotes, non-ASCII letters, a symbol and an emoji (4 bytes in UTF-8).
TEXT = 'héllo \\ "quoted" \'single\' new\nline ☃ 😀'


def sql(statement):
  """One statement as the test server's superuser (the `mariadb` client over TCP)."""
  return subprocess.run(
      ['mariadb', '--no-defaults', '-h', MY['host'], '-P', MY['port'], '-u', MY['user'], '-p' + MY['password'],
       '-N', '-e', statement], check=True, capture_output=True, text=True).stdout


def my_config(database, via_socket=False):
  c = pb.ConnectionConfig()
  if via_socket:
    c.mysql.socket = MY['socket']
  else:
    c.mysql.host = MY['host']
    c.mysql.port = int(MY['port'])
  c.mysql.user = MY['user']
  c.mysql.password = MY['password']
  c.mysql.database = database
  return c


def fresh_database(tag):
  return 'interop_%s_%d_%06d' % (tag, os.getpid(), random.randrange(10**6))


@pytest.fixture
def database():
  names = []
  yield lambda tag: names.append(fresh_database(tag)) or names[-1]
  for name in names:
    sql('DROP DATABASE IF EXISTS `%s`' % name)


class OurServer:
  """Our server (the CLI) started with `args` (flags; the grpc port is added)."""

  def __init__(self, args, tmp_path, tag):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    self.port = s.getsockname()[1]
    s.close()
    self.log_path = tmp_path / ('server-%s.log' % tag)
    self.log = open(self.log_path, 'w')
    self.proc = subprocess.Popen(
        ['node', '--import', 'tsx', 'src/cli/main.ts', '--grpc_port=%d' % self.port, '--http_port=-1',
         '--host=127.0.0.1'] + args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
      assert self.proc.poll() is None, 'our server exited: ' + self.log_path.read_text()
      try:
        socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
        break
      except OSError:
        assert time.time() < deadline, 'our server did not listen'
        time.sleep(0.1)
    self.store = mlmd.MetadataStore(pb.MetadataStoreClientConfig(host='127.0.0.1', port=self.port))

  @classmethod
  def with_config_file(cls, database, tmp_path):
    cfg = tmp_path / ('server-%s.pbtxt' % database)
    cfg.write_text('connection_config { mysql { host: "%s" port: %s user: "%s" password: "%s" database: "%s" } }\n'
                   % (MY['host'], MY['port'], MY['user'], MY['password'], database))
    return cls(['--metadata_store_server_config_file=%s' % cfg], tmp_path, database)

  def stop(self):
    self.proc.send_signal(signal.SIGTERM)
    self.proc.wait(timeout=30)
    self.log.close()


def test_upstream_database_served_by_us_and_back(tmp_path, database):
  name = database('up')
  upstream = mlmd.MetadataStore(my_config(name))
  write_records(upstream, 'up', TEXT)
  expected = snapshot(upstream)
  assert len(expected['artifacts']) == 2 and len(expected['events']) == 2

  server = OurServer.with_config_file(name, tmp_path)
  try:
    assert snapshot(server.store) == expected
    assert server.store.get_artifacts_by_uri('s3://model/up')[0].properties['s'].string_value == TEXT
    write_records(server.store, 'ours', TEXT)
    ours = snapshot(server.store)
  finally:
    server.stop()
  assert len(ours['artifacts']) == 4
  assert snapshot(mlmd.MetadataStore(my_config(name))) == ours


def test_our_database_used_by_upstream_and_back_over_the_socket(tmp_path, database):
  name = database('ours')
  flags = ['--metadata_source_config_type=mysql', '--mysql_config_socket=%s' % MY['socket'],
           '--mysql_config_database=%s' % name, '--mysql_config_user=%s' % MY['user'],
           '--mysql_config_password=%s' % MY['password']]
  server = OurServer(flags, tmp_path, name)
  try:
    write_records(server.store, 'ours', TEXT)
    ours = snapshot(server.store)
  finally:
    server.stop()

  upstream = mlmd.MetadataStore(my_config(name, via_socket=True))
  assert snapshot(upstream) == ours
  assert upstream.get_artifacts_by_uri('s3://model/ours')[0].properties['s'].string_value == TEXT
  write_records(upstream, 'up', TEXT)
  both = snapshot(upstream)
  assert len(both['artifacts']) == 4 and len(both['events']) == 4

  server = OurServer(flags, tmp_path, name + '2')
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
  assert mlmd.MetadataStore(my_config(name)).get_artifacts_by_id([big_id])[0].custom_properties['big'].int_value == 2**62 + 1


def test_int64_beyond_32_bits_on_an_upstream_database_is_invalid_argument_naming_the_property(tmp_path, database):
  name = database('int')
  upstream = mlmd.MetadataStore(my_config(name))
  type_id = upstream.put_artifact_type(pb.ArtifactType(name='T', properties={'n': pb.INT}))
  server = OurServer.with_config_file(name, tmp_path)
  try:
    ok = pb.Artifact(type_id=type_id)
    ok.properties['n'].int_value = -2**31
    [ok_id] = server.store.put_artifacts([ok])
    big = pb.Artifact(type_id=type_id, uri='s3://too-big')
    big.custom_properties['huge'].int_value = 2**31
    with pytest.raises(errors.InvalidArgumentError, match=r'custom_properties\["huge"\] has int_value 2147483648'):
      server.store.put_artifacts([big])
    assert server.store.get_artifacts_by_uri('s3://too-big') == []
  finally:
    server.stop()
  assert upstream.get_artifacts_by_id([ok_id])[0].properties['n'].int_value == -2**31


def test_kubeflow_command_line_as_is(tmp_path, database):
  """metadata-grpc-deployment's arguments, with a user that has an empty password, on a package-created database."""
  name = database('metadb')
  user = 'kfp_%d' % random.randrange(10**6)
  sql("CREATE USER '%s'@'%%'; GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%'" % (user, user))
  try:
    upstream = mlmd.MetadataStore(my_config(name))
    write_records(upstream, 'kfp')
    expected = snapshot(upstream)
    args = ['--mysql_config_database=%s' % name, '--mysql_config_host=%s' % MY['host'],
            '--mysql_config_port=%s' % MY['port'], '--mysql_config_user=%s' % user, '--mysql_config_password=',
            '--enable_database_upgrade=true',
            '--grpc_channel_arguments=grpc.max_metadata_size=16384,grpc.max_receive_message_length=104857600']
    server = OurServer(args, tmp_path, name)
    try:
      assert snapshot(server.store) == expected
      channel = grpc.insecure_channel('127.0.0.1:%d' % server.port)
      grpc.channel_ready_future(channel).result(timeout=10)
      channel.close()
    finally:
      server.stop()
    assert 'listening on' in server.log_path.read_text()
  finally:
    sql("DROP USER '%s'@'%%'" % user)
