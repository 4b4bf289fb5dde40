"""Compat suite "sqlite-interop": one SQLite file, two implementations.

(3a) upstream -> ours: ml-metadata's in-process store (ConnectionConfig sqlite, the C++ store through pybind11)
     writes a file with every kind of record and Value; our server is started on that file and must serve every
     record equal (protos compared through the Python client in gRPC mode against the in-process reads).
(3b) ours -> upstream: the same records are written through our server (Python client in gRPC mode); the server is
     stopped; the in-process store opens the file and must read protos equal to what our server returned.
(3c) mixed: a file started by upstream, extended through our server, read back by upstream.

The in-process store always runs in a child Python process (this file run as a script), so its SQLite connection
is certainly closed before our server opens the file, and the reverse.

Run: .venv/bin/python -m pytest test/compat/test_sqlite_interop.py   (test/compat/sqlite-interop.sh does this)
Server command: node --import tsx src/cli/main.ts (override with MLMD_SERVER_CMD, space-separated).
"""
import os
import pickle
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

from google.protobuf import any_pb2, struct_pb2, text_format

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2 as pb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
INT64_MAX = 2**63 - 1
INT64_MIN = -2**63

# ------------------------------------------------------------------------------------------ the data set

UNICODE = 'héllo wörld — 你好 🚀 "quoted" \'single\' back\\slash\nnew line\ttab'
ALL_KINDS = {
    'i': pb.INT, 'd': pb.DOUBLE, 's': pb.STRING, 'st': pb.STRUCT, 'p': pb.PROTO, 'b': pb.BOOLEAN,
}


def _struct():
  s = struct_pb2.Struct()
  s.update({
      'num': 1.5,
      'neg': -42,
      'text': 'ünïcødé ✓',
      'flag': True,
      'nothing': None,
      'list': [1, 'two', False, None, {'k': 'v'}],
      'nested': {'deeper': {'x': [1.25, -0.5]}},
  })
  return s


def _any():
  packed = any_pb2.Any()
  packed.Pack(pb.Artifact(name='packed artifant ü', uri='s3://bucket/key', custom_properties={'x': pb.Value(int_value=7)}))
  return packed


# Doubles: ml-metadata's SQLite backend writes a double as fixed-point text with 6 decimals and reads through a
# 15-significant-digit text form (spec mlmd-storage-and-query.md, double-precision quirk). The values below survive
# both; c_double_many_decimals does not survive an upstream write (checked as the quirk in test_double_quirk).
def _set_all_kinds(props, i=INT64_MAX, d=2.718282, s=UNICODE, b=True):
  props['i'].int_value = i
  props['d'].double_value = d
  props['s'].string_value = s
  props['st'].struct_value.CopyFrom(_struct())
  props['p'].proto_value.CopyFrom(_any())
  props['b'].bool_value = b


def _set_custom(custom, tag):
  custom['c_int_max'].int_value = INT64_MAX
  custom['c_int_min'].int_value = INT64_MIN
  custom['c_int_neg'].int_value = -12345678901
  custom['c_int_zero'].int_value = 0
  custom['c_double_big'].double_value = 1.5e300
  custom['c_double_small'].double_value = -0.000125
  custom['c_double_many_decimals'].double_value = 0.123456789
  custom['c_double_zero'].double_value = 0.0
  custom['c_string_empty'].string_value = ''
  custom['c_string_unicode'].string_value = f'{UNICODE} {tag}'
  custom['c_struct'].struct_value.CopyFrom(_struct())
  custom['c_proto'].proto_value.CopyFrom(_any())
  custom['c_bool_true'].bool_value = True
  custom['c_bool_false'].bool_value = False
  custom['ключ ü 🔑'].string_value = 'unicode key'


STAGES = ('types', 'artifacts', 'executions', 'contexts', 'events', 'links', 'put_execution')


def populate(store, tag):
  """Writes the data set through `store` (either mode). Returns (ids, errors) where errors maps a stage to the
  error that stopped it; later stages that depend on a failed one are skipped."""
  ids, errors = {}, {}

  def stage(name, fn):
    if any(dep in errors for dep in STAGE_DEPS[name]):
      errors[name] = f'skipped: depends on failed {[d for d in STAGE_DEPS[name] if d in errors]}'
      return
    try:
      fn()
    except Exception as e:  # noqa: BLE001 -- recorded and asserted by test_writes_succeeded
      errors[name] = f'{type(e).__name__}: {e}'

  def types():
    at = pb.ArtifactType(name=f'interop.Dataset ü {tag}', version='v1', description='all kinds ✓',
                         external_id=f'at-ext-{tag}', base_type=pb.ArtifactType.DATASET)
    for k, v in ALL_KINDS.items():
      at.properties[k] = v
    ids['at'] = store.put_artifact_type(at)
    ids['at_plain'] = store.put_artifact_type(pb.ArtifactType(name=f'interop.Plain {tag}'))
    et = pb.ExecutionType(name=f'interop.Trainer {tag}', version='2.0', description='trainer',
                          external_id=f'et-ext-{tag}', base_type=pb.ExecutionType.TRAIN)
    for k, v in ALL_KINDS.items():
      et.properties[k] = v
    et.input_type.any.SetInParent()
    et.output_type.dict.properties['model'].simple.name = 'Model'
    et.output_type.dict.none_type_not_required = True
    ids['et'] = store.put_execution_type(et)
    ids['et_plain'] = store.put_execution_type(pb.ExecutionType(name=f'interop.Step {tag}'))
    ct = pb.ContextType(name=f'interop.Pipeline {tag}', description='ctx type', external_id=f'ct-ext-{tag}')
    for k, v in ALL_KINDS.items():
      ct.properties[k] = v
    ids['ct'] = store.put_context_type(ct)
    ids['ct_run'] = store.put_context_type(pb.ContextType(name=f'interop.Run {tag}', version='v9'))

  def artifacts():
    a1 = pb.Artifact(type_id=ids['at'], name=f'dataset-1 ü {tag}', uri=f'file:///data/ü/{tag}/1',
                     external_id=f'a-ext-1-{tag}', state=pb.Artifact.LIVE)
    _set_all_kinds(a1.properties)
    _set_custom(a1.custom_properties, 'a1')
    a2 = pb.Artifact(type_id=ids['at'], name=f'dataset-2 {tag}', uri=f'file:///data/{tag}/2',
                     state=pb.Artifact.MARKED_FOR_DELETION)
    _set_all_kinds(a2.properties, i=INT64_MIN, d=-0.125, s='', b=False)
    a3 = pb.Artifact(type_id=ids['at_plain'])  # no name, uri, state or properties
    a4 = pb.Artifact(type_id=ids['at_plain'], uri=f'file:///data/{tag}/shared', state=pb.Artifact.PENDING)
    a5 = pb.Artifact(type_id=ids['at_plain'], uri=f'file:///data/{tag}/shared', state=pb.Artifact.ABANDONED)
    a5.properties.clear()
    a5.custom_properties['only_custom'].int_value = -1
    ids['artifacts'] = store.put_artifacts([a1, a2, a3, a4, a5])
    # An update: uri, a property and a custom property change; another custom property is dropped.
    upd = pb.Artifact(id=ids['artifacts'][1], type_id=ids['at'], name=f'dataset-2 {tag}', uri=f'file:///data/{tag}/2b',
                      state=pb.Artifact.LIVE)
    _set_all_kinds(upd.properties, i=-1, d=2.0, s='updated ✓', b=True)
    upd.custom_properties['added_later'].string_value = 'later'
    store.put_artifacts([upd])

  def executions():
    e1 = pb.Execution(type_id=ids['et'], name=f'train ü {tag}', external_id=f'e-ext-1-{tag}',
                      last_known_state=pb.Execution.COMPLETE)
    _set_all_kinds(e1.properties, i=-9223372036854775807)
    _set_custom(e1.custom_properties, 'e1')
    e2 = pb.Execution(type_id=ids['et_plain'], last_known_state=pb.Execution.RUNNING)
    e3 = pb.Execution(type_id=ids['et_plain'])
    ids['executions'] = store.put_executions([e1, e2, e3])

  def contexts():
    c1 = pb.Context(type_id=ids['ct'], name=f'pipeline ü {tag}', external_id=f'c-ext-1-{tag}')
    _set_all_kinds(c1.properties, i=0, d=1e-10, s='ctx 🚀')
    _set_custom(c1.custom_properties, 'c1')
    c2 = pb.Context(type_id=ids['ct_run'], name=f'run-1 {tag}')
    c3 = pb.Context(type_id=ids['ct_run'], name=f'run-2 {tag}')
    c4 = pb.Context(type_id=ids['ct_run'], name=f'run-2-child {tag}')
    ids['contexts'] = store.put_contexts([c1, c2, c3, c4])

  def events():
    a, e = ids['artifacts'], ids['executions']
    ev = []
    ev.append(pb.Event(artifact_id=a[0], execution_id=e[0], type=pb.Event.INPUT, milliseconds_since_epoch=1700000000123))
    ev[-1].path.steps.add().index = 0
    ev[-1].path.steps.add().key = 'in ü'
    ev[-1].path.steps.add().index = -3
    ev.append(pb.Event(artifact_id=a[1], execution_id=e[0], type=pb.Event.OUTPUT))
    ev[-1].path.steps.add().key = 'model'
    ev.append(pb.Event(artifact_id=a[2], execution_id=e[1], type=pb.Event.DECLARED_OUTPUT,
                       milliseconds_since_epoch=1))
    ev.append(pb.Event(artifact_id=a[1], execution_id=e[1], type=pb.Event.INTERNAL_INPUT))
    ev.append(pb.Event(artifact_id=a[3], execution_id=e[2], type=pb.Event.PENDING_OUTPUT))
    store.put_events(ev)

  def links():
    a, e, c = ids['artifacts'], ids['executions'], ids['contexts']
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a[0], context_id=c[0]), pb.Attribution(artifact_id=a[1], context_id=c[0]),
         pb.Attribution(artifact_id=a[1], context_id=c[1]), pb.Attribution(artifact_id=a[4], context_id=c[2])],
        [pb.Association(execution_id=e[0], context_id=c[0]), pb.Association(execution_id=e[1], context_id=c[1]),
         pb.Association(execution_id=e[1], context_id=c[0])])
    store.put_parent_contexts([
        pb.ParentContext(child_id=c[1], parent_id=c[0]), pb.ParentContext(child_id=c[2], parent_id=c[0]),
        pb.ParentContext(child_id=c[3], parent_id=c[2])])

  def put_execution():
    execution = pb.Execution(type_id=ids['et'], name=f'composite {tag}', last_known_state=pb.Execution.FAILED)
    execution.custom_properties['attempt'].int_value = 3
    new_artifact = pb.Artifact(type_id=ids['at_plain'], uri=f'file:///composite/{tag}', name=f'composite-out {tag}')
    existing = pb.Artifact(id=ids['artifacts'][0], type_id=ids['at'], name=f'dataset-1 ü {tag}',
                           uri=f'file:///data/ü/{tag}/1', external_id=f'a-ext-1-{tag}', state=pb.Artifact.LIVE)
    _set_all_kinds(existing.properties)
    _set_custom(existing.custom_properties, 'a1')
    in_event = pb.Event(type=pb.Event.INPUT)
    in_event.path.steps.add().key = 'examples'
    out_event = pb.Event(type=pb.Event.OUTPUT)
    out_event.path.steps.add().index = 7
    ctx = pb.Context(type_id=ids['ct_run'], name=f'composite-run {tag}')
    ctx.custom_properties['by'].string_value = 'put_execution'
    e_id, a_ids, c_ids = store.put_execution(
        execution, [(existing, in_event), (new_artifact, out_event)], [ctx])
    ids['pe'] = (e_id, list(a_ids), list(c_ids))

  for name, fn in (('types', types), ('artifacts', artifacts), ('executions', executions), ('contexts', contexts),
                   ('events', events), ('links', links), ('put_execution', put_execution)):
    stage(name, fn)
  return ids, errors


STAGE_DEPS = {
    'types': (), 'artifacts': ('types',), 'executions': ('types',), 'contexts': ('types',),
    'events': ('artifacts', 'executions'), 'links': ('artifacts', 'executions', 'contexts'),
    'put_execution': ('artifacts', 'contexts'),
}

# ------------------------------------------------------------------------------------------ reading everything


def snapshot(store, ids, tag):
  """Reads back everything through `store` with many different read RPCs. Returns {query: [messages] | error}.
  A query that raises records the error text, so a failing read is compared (and reported) like a value."""
  out = {}

  def q(key, fn, sort=True, may_fail=False):
    """may_fail: an error (e.g. NOT_FOUND for a name of another kind) is a legitimate answer; it must still be
    the same error class on both sides (messages are not compared: upstream's C++ and ours word them differently)."""
    if may_fail:
      key += ' [may fail]'
    try:
      res = fn()
    except Exception as e:  # noqa: BLE001
      out[key] = f'ERROR {type(e).__name__}'
      out.setdefault('_messages', {})[key] = str(e)[:300]
      return
    if res is None:
      out[key] = []
    elif isinstance(res, tuple):  # (artifacts, types)
      out[key] = [m for part in res for m in part]
    elif isinstance(res, (list,)) or hasattr(res, '__iter__') and not hasattr(res, 'DESCRIPTOR'):
      out[key] = list(res)
    else:
      out[key] = [res]
    if sort:
      out[key].sort(key=lambda m: m.SerializeToString(deterministic=True))

  all_type_ids = [ids[k] for k in ('at', 'at_plain', 'et', 'et_plain', 'ct', 'ct_run') if k in ids]
  a_ids = list(ids.get('artifacts', [])) + [i for i in ids.get('pe', ((), (), ()))[1] if i > 0]
  e_ids = list(ids.get('executions', [])) + ([ids['pe'][0]] if 'pe' in ids else [])
  c_ids = list(ids.get('contexts', [])) + list(ids.get('pe', ((), (), ()))[2])

  # Types, through every read RPC (they render external_id / base_type differently, spec mlmd-rpc.md 1.2).
  q('types/get_artifact_types', store.get_artifact_types)
  q('types/get_execution_types', store.get_execution_types)
  q('types/get_context_types', store.get_context_types)
  names = {'artifact': (('Dataset ü', 'v1'), ('Plain', None)), 'execution': (('Trainer', '2.0'), ('Step', None)),
           'context': (('Pipeline', None), ('Run', 'v9'))}
  for kind in ('artifact', 'execution', 'context'):
    for other in ('artifact', 'execution', 'context'):
      for suffix, version in names[other]:
        name = f'interop.{suffix} {tag}'
        q(f'types/get_{kind}_type({suffix})', lambda k=kind, n=name, v=version: getattr(store, f'get_{k}_type')(n, v),
          may_fail=kind != other)
    q(f'types/get_{kind}_types_by_id', lambda k=kind: getattr(store, f'get_{k}_types_by_id')(all_type_ids))
    q(f'types/get_{kind}_types_by_external_ids',
      lambda k=kind: getattr(store, f'get_{k}_types_by_external_ids')([f'at-ext-{tag}', f'et-ext-{tag}', f'ct-ext-{tag}']))
  q('types/get_artifact_type(mlmd.Dataset)', lambda: store.get_artifact_type('mlmd.Dataset'))
  q('types/get_execution_type(mlmd.Train)', lambda: store.get_execution_type('mlmd.Train'))
  q('types/get_run_type_no_version', lambda: store.get_context_type(f'interop.Run {tag}'), may_fail=True)

  # Artifacts.
  q('artifacts/get_artifacts', store.get_artifacts)
  q('artifacts/get_artifacts_by_id', lambda: store.get_artifacts_by_id(a_ids))
  q('artifacts/get_artifacts_and_types_by_artifact_ids', lambda: store.get_artifacts_and_types_by_artifact_ids(a_ids))
  q('artifacts/get_artifacts_by_type(Dataset)', lambda: store.get_artifacts_by_type(f'interop.Dataset ü {tag}', 'v1'))
  q('artifacts/get_artifacts_by_type(Plain)', lambda: store.get_artifacts_by_type(f'interop.Plain {tag}'))
  q('artifacts/get_artifact_by_type_and_name', lambda: store.get_artifact_by_type_and_name(
      f'interop.Dataset ü {tag}', f'dataset-1 ü {tag}', 'v1'))
  q('artifacts/get_artifacts_by_uri(shared)', lambda: store.get_artifacts_by_uri(f'file:///data/{tag}/shared'))
  q('artifacts/get_artifacts_by_uri(ü)', lambda: store.get_artifacts_by_uri(f'file:///data/ü/{tag}/1'))
  q('artifacts/get_artifacts_by_external_ids', lambda: store.get_artifacts_by_external_ids([f'a-ext-1-{tag}']))
  q('artifacts/get_artifacts(ordered,paged)', lambda: store.get_artifacts(
      list_options=mlmd.ListOptions(limit=3, order_by=mlmd.OrderByField.ID, is_asc=True)), sort=False)

  # Executions.
  q('executions/get_executions', store.get_executions)
  q('executions/get_executions_by_id', lambda: store.get_executions_by_id(e_ids))
  q('executions/get_executions_by_type', lambda: store.get_executions_by_type(f'interop.Trainer {tag}', '2.0'))
  q('executions/get_execution_by_type_and_name', lambda: store.get_execution_by_type_and_name(
      f'interop.Trainer {tag}', f'train ü {tag}', '2.0'))
  q('executions/get_executions_by_external_ids', lambda: store.get_executions_by_external_ids([f'e-ext-1-{tag}']))

  # Contexts.
  q('contexts/get_contexts', store.get_contexts)
  q('contexts/get_contexts_by_id', lambda: store.get_contexts_by_id(c_ids))
  q('contexts/get_contexts_by_type', lambda: store.get_contexts_by_type(f'interop.Run {tag}', 'v9'))
  q('contexts/get_context_by_type_and_name', lambda: store.get_context_by_type_and_name(
      f'interop.Pipeline {tag}', f'pipeline ü {tag}'))
  q('contexts/get_contexts_by_external_ids', lambda: store.get_contexts_by_external_ids([f'c-ext-1-{tag}']))

  # Events (no event id exists: compare as sorted lists).
  q('events/get_events_by_execution_ids', lambda: store.get_events_by_execution_ids(e_ids))
  q('events/get_events_by_artifact_ids', lambda: store.get_events_by_artifact_ids(a_ids))

  # Links.
  for c in c_ids:
    q(f'links/get_artifacts_by_context({c})', lambda c=c: store.get_artifacts_by_context(c))
    q(f'links/get_executions_by_context({c})', lambda c=c: store.get_executions_by_context(c))
    q(f'links/get_parent_contexts_by_context({c})', lambda c=c: store.get_parent_contexts_by_context(c))
    q(f'links/get_children_contexts_by_context({c})', lambda c=c: store.get_children_contexts_by_context(c))
  for a in a_ids:
    # upstream answers NOT_FOUND for a node without contexts
    q(f'links/get_contexts_by_artifact({a})', lambda a=a: store.get_contexts_by_artifact(a), may_fail=True)
  for e in e_ids:
    q(f'links/get_contexts_by_execution({e})', lambda e=e: store.get_contexts_by_execution(e), may_fail=True)
  return out


# ------------------------------------------------------------------------------------------ processes


def _encode(snap):
  return {k: v if isinstance(v, (str, dict)) else [(m.DESCRIPTOR.full_name, m.SerializeToString()) for m in v]
          for k, v in snap.items()}


def _decode(data):
  from google.protobuf import symbol_database
  db = symbol_database.Default()
  out = {}
  for k, v in data.items():
    if isinstance(v, (str, dict)):
      out[k] = v
      continue
    msgs = []
    for full_name, raw in v:
      m = db.GetSymbol(full_name)()
      m.ParseFromString(raw)
      msgs.append(m)
    out[k] = msgs
  return out


def _sqlite_config(db):
  cfg = pb.ConnectionConfig()
  cfg.sqlite.filename_uri = db
  cfg.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
  return cfg


def inproc(action, db, tag, ids=None, timeout=300):
  """Runs the in-process (C++) store in a child process: action 'write' (populate then snapshot) or 'read'."""
  with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, 'out.pickle')
    with open(os.path.join(tmp, 'ids.pickle'), 'wb') as f:
      pickle.dump(ids, f)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), action, db, tag, tmp], capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not os.path.exists(out):
      raise AssertionError(f'in-process {action} on {db} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}')
    with open(out, 'rb') as f:
      ids, errors, snap = pickle.load(f)
    return ids, errors, _decode(snap)


def _child_main(action, db, tag, tmp):
  store = mlmd.MetadataStore(_sqlite_config(db))
  with open(os.path.join(tmp, 'ids.pickle'), 'rb') as f:
    ids = pickle.load(f)
  errors = {}
  if action == 'write':
    ids, errors = populate(store, tag)
  snap = snapshot(store, ids, tag)
  del store
  with open(os.path.join(tmp, 'out.pickle'), 'wb') as f:
    pickle.dump((ids, errors, _encode(snap)), f)


def _free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


class OurServer:
  """Our server (the CLI) on a SQLite file, started the way a user starts it."""

  def __init__(self, db, workdir):
    self.db, self.workdir = db, workdir
    self.port = _free_port()
    self.cfg = os.path.join(workdir, f'server-{self.port}.cfg')
    with open(self.cfg, 'w', encoding='utf-8') as f:
      f.write('connection_config {\n  sqlite {\n    filename_uri: %s\n    connection_mode: READWRITE_OPENCREATE\n  }\n}\n'
              % _textproto_string(db))
    self.log_path = os.path.join(workdir, f'server-{self.port}.log')
    self.proc = None

  def __enter__(self):
    override = os.environ.get('MLMD_SERVER_CMD', '').strip()
    cmd = shlex.split(override) if override else ['node', '--import', 'tsx', os.path.join('src', 'cli', 'main.ts')]
    cmd += [f'--grpc_port={self.port}', '--http_port=-1', f'--metadata_store_server_config_file={self.cfg}']
    self.log = open(self.log_path, 'w', encoding='utf-8')  # noqa: SIM115
    self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
      if self.proc.poll() is not None:
        raise AssertionError(f'server exited ({self.proc.returncode}) before listening:\n{self.output()}')
      try:
        with socket.create_connection(('127.0.0.1', self.port), timeout=1):
          return self
      except OSError:
        time.sleep(0.1)
    self.stop()
    raise AssertionError(f'server did not listen on {self.port} within 60 s:\n{self.output()}')

  def __exit__(self, *exc):
    self.stop()

  def output(self):
    try:
      with open(self.log_path, encoding='utf-8', errors='replace') as f:
        return f.read()[-4000:]
    except OSError:
      return ''

  def stop(self):
    if self.proc and self.proc.poll() is None:
      self.proc.send_signal(signal.SIGTERM)
      try:
        self.proc.wait(timeout=15)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait()
    if self.proc:
      self.log.close()

  def client(self):
    cfg = pb.MetadataStoreClientConfig(host='127.0.0.1', port=self.port, client_timeout_sec=60)
    return mlmd.MetadataStore(cfg)


def _textproto_string(s):
  return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


if __name__ == '__main__' and len(sys.argv) == 5 and sys.argv[1] in ('write', 'read'):
  _child_main(*sys.argv[1:])
  sys.exit(0)

# ------------------------------------------------------------------------------------------ pytest part

import pytest  # noqa: E402  (the child process above does not need pytest)


@pytest.fixture(scope='module')
def workdir():
  with tempfile.TemporaryDirectory(prefix='interop-') as d:
    yield d


@pytest.fixture(scope='module')
def upstream_to_ours(workdir):
  """3a: (written-by-upstream snapshot, our server's snapshot of the same file, ids, write errors)."""
  db = os.path.join(workdir, 'upstream-written.db')
  tag = 'up2ours'
  ids, errors, expected = inproc('write', db, tag)
  with OurServer(db, workdir) as server:
    actual = snapshot(server.client(), ids, tag)
  return expected, actual, ids, errors


@pytest.fixture(scope='module')
def ours_to_upstream(workdir):
  """3b: (our server's snapshot of what it wrote, upstream's snapshot of the file afterwards, ids, write errors)."""
  db = os.path.join(workdir, 'ours-written.db')
  tag = 'ours2up'
  with OurServer(db, workdir) as server:
    store = server.client()
    ids, errors = populate(store, tag)
    expected = snapshot(store, ids, tag)
  _, _, actual = inproc('read', db, tag, ids)
  return expected, actual, ids, errors


@pytest.fixture(scope='module')
def mixed(workdir):
  """3c: upstream writes, our server appends a second data set, upstream reads both."""
  db = os.path.join(workdir, 'mixed.db')
  ids1, errors1, _ = inproc('write', db, 'mixed1')
  with OurServer(db, workdir) as server:
    store = server.client()
    ids2, errors2 = populate(store, 'mixed2')
    expected = _merge(snapshot(store, ids1, 'mixed1'), snapshot(store, ids2, 'mixed2'))
  _, _, s1 = inproc('read', db, 'mixed1', ids1)
  _, _, s2 = inproc('read', db, 'mixed2', ids2)
  actual = _merge(s1, s2)
  return expected, actual, {'1': ids1, '2': ids2}, {**errors1, **{f'ours:{k}': v for k, v in errors2.items()}}


def _merge(s1, s2):
  out = {'_messages': {}}
  for prefix, snap in (('1', s1), ('2', s2)):
    for k, v in snap.items():
      if k == '_messages':
        out['_messages'].update({f'{prefix}:{mk}': mv for mk, mv in v.items()})
      else:
        out[f'{prefix}:{k}'] = v
  return out


DIRECTIONS = ('upstream_to_ours', 'ours_to_upstream', 'mixed')
CATEGORIES = ('types', 'artifacts', 'executions', 'contexts', 'events', 'links')


def _render(v):
  if isinstance(v, str):
    return v + '\n'
  return ''.join(f'--- {m.DESCRIPTOR.full_name}\n' + text_format.MessageToString(m, as_utf8=True) for m in v)


def _compare(expected, actual, category):
  keys = sorted(k for k in set(expected) | set(actual) if k.split(':', 1)[-1].startswith(category + '/'))
  assert keys, f'no {category} queries were made'
  problems = []
  for k in keys:
    e, a = expected.get(k, 'MISSING'), actual.get(k, 'MISSING')
    same = e == a if isinstance(e, str) or isinstance(a, str) else (
        len(e) == len(a) and all(x == y for x, y in zip(e, a)))
    if not same:
      import difflib
      diff = '\n'.join(difflib.unified_diff(_render(e).splitlines(), _render(a).splitlines(), 'writer', 'reader',
                                            lineterm='', n=3))
      notes = ''.join(f'\n   ({side} said: {snap.get(m, {}).get(k)})' for side, snap in (('writer', expected), ('reader', actual))
                      for m in ('_messages',) if k in snap.get(m, {}))
      problems.append(f'== {k}\n{diff}{notes}')
  assert not problems, (f'{len(problems)} of {len(keys)} {category} reads differ '
                        f'(writer side "-", reader side "+"):\n' + '\n'.join(problems)[:20000])


@pytest.mark.parametrize('direction', DIRECTIONS)
def test_writes_succeeded(direction, request):
  _, _, _, errors = request.getfixturevalue(direction)
  assert not errors, 'write stages failed: ' + '; '.join(f'{k}: {v}' for k, v in errors.items())


@pytest.mark.parametrize('category', CATEGORIES)
@pytest.mark.parametrize('direction', DIRECTIONS)
def test_reads_equal(direction, category, request):
  expected, actual, _, _ = request.getfixturevalue(direction)
  _compare(expected, actual, category)


@pytest.mark.parametrize('direction', DIRECTIONS)
def test_reads_are_not_errors(direction, request):
  """Equal errors on both sides would pass test_reads_equal; here no read may fail at all."""
  expected, actual, _, errors = request.getfixturevalue(direction)
  if errors:
    pytest.fail('writes failed, see test_writes_succeeded')
  bad = [f'{side} {k}: {snap.get("_messages", {}).get(k, v)}' for side, snap in (('writer', expected), ('reader', actual))
         for k, v in snap.items() if isinstance(v, str) and not k.endswith('[may fail]')]
  assert not bad, '\n'.join(bad)


@pytest.mark.parametrize('direction', ('upstream_to_ours', 'ours_to_upstream'))
def test_values_survive_exactly(direction, request):
  """The reader sees exactly the Values that were written (int64 extremes, doubles, Unicode, Struct, Any, bool)."""
  _, actual, ids, errors = request.getfixturevalue(direction)
  if 'artifacts' in errors:
    pytest.fail(f'artifact writes failed: {errors["artifacts"]}')
  arts = {a.id: a for a in actual['artifacts/get_artifacts_by_id'] if isinstance(a, pb.Artifact)}
  a1 = arts[ids['artifacts'][0]]
  want = pb.Artifact()
  _set_all_kinds(want.properties)
  _set_custom(want.custom_properties, 'a1')
  assert dict(a1.properties) == dict(want.properties)
  if direction == 'upstream_to_ours':  # the quirk: upstream wrote 6 decimals
    want.custom_properties['c_double_many_decimals'].double_value = 0.123457
  assert dict(a1.custom_properties) == dict(want.custom_properties)
  assert a1.properties['i'].int_value == INT64_MAX
  assert a1.custom_properties['c_int_min'].int_value == INT64_MIN
  unpacked = pb.Artifact()
  assert a1.properties['p'].proto_value.Unpack(unpacked) and unpacked.name == 'packed artifant ü'
  a2 = arts[ids['artifacts'][1]]
  assert a2.properties['i'].int_value == -1 and a2.uri.endswith('/2b') and a2.state == pb.Artifact.LIVE
  assert a2.custom_properties['added_later'].string_value == 'later'
  a3 = arts[ids['artifacts'][2]]
  assert not a3.HasField('name') and not a3.HasField('state') and a3.uri == ''
