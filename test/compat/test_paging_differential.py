"""Compat suite "paging-differential": every list RPC asked the same of our server and of Google's store.

The reference is the `ml-metadata` package's in-process store (the C++ MetadataStore that Google's server wraps, on
a SQLite file of its own); ours is our server over gRPC. Both get the same records, written in the same order, then
every MLMD RPC whose request carries ListOperationOptions is asked the same requests of both: without options, with
empty options, every page of a walk (first, middle, last) in each order, a page size equal to the row count, a
filter, a filter that matches nothing, unknown and empty types, contexts with and without links, bad options (over
nodes, and over none: Google's store then answers before it reads them).
Responses are compared field by field with presence (proto2: an empty string that is set is not an unset one), ids
mapped to names and timestamps reduced to "set"; errors by their status. Each store follows its own tokens.

The documented deviations (README, Compatibility) are asserted here as what they are, both sides:
  * a valid filter with an enum predicate under NOT / OR: Google's store refuses it, ours answers it, and its answer
    is the union of the reference's answers to the parts the reference accepts;
  * GetLineageGraph: not implemented by Google's store, answered by ours.

Run: bash test/compat/pytest-suite.sh test/compat/test_paging_differential.py
"""
import os
import tempfile
import time

import pytest

import ml_metadata as mlmd
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

from test_sqlite_interop import OurServer

Order = pb.ListOperationOptions.OrderByField
TIMESTAMPS = {'create_time_since_epoch', 'last_update_time_since_epoch'}
ARTIFACT_P = [0.5, 1.5, 2.5, 3.5, 4.5]
EXECUTION_STATES = [pb.Execution.COMPLETE, pb.Execution.RUNNING, None, pb.Execution.COMPLETE, pb.Execution.FAILED]
ENUM_UNDER_NOT_OR = ('((last_known_state = COMPLETE) OR NOT (properties.p.double_value < 2.0)) '
                     'OR NOT (last_known_state = COMPLETE)')

# ------------------------------------------------------------------------------------------ the two stores


class Store:
  """One implementation, the ids of what was written to it, and a call that answers a response or an error."""

  def __init__(self, name, store):
    self.name, self.store = name, store
    self.names = {}  # (kind, id) -> name, to compare records across stores by what they are
    self.ids = {}  # (kind, name) -> id

  def remember(self, kind, name, id_):
    self.names[(kind, id_)] = name
    self.ids[(kind, name)] = id_

  def call(self, method, request):
    response = getattr(svc, f'{method}Response')()
    try:
      self.store._call_method(method, request, response)  # pylint: disable=protected-access
    except errors.StatusError as e:
      return e
    return response


def _wait_for_clock_past(ms):
  """Waits until the wall clock (both stores read it) is past `ms`, so the next write gets a later timestamp."""
  deadline = time.time() + 5
  while time.time_ns() // 1_000_000 <= ms:
    assert time.time() < deadline, 'the clock did not move on within 5 s'
    time.sleep(0.001)


def populate(s):
  """Writes the data set through `s` one record at a time, each with a timestamp of its own (so every order is
  total and MLMD's tie handling plays no part), then updates two artifacts so that the update order differs."""
  store = s.store
  types = {}
  for kind, put, cls in (('artifact', store.put_artifact_type, pb.ArtifactType),
                         ('execution', store.put_execution_type, pb.ExecutionType),
                         ('context', store.put_context_type, pb.ContextType)):
    t = cls(name=f'{kind}.Paged')
    t.properties['p'] = pb.DOUBLE
    types[kind] = put(t)
    s.remember(f'{kind}_type', t.name, types[kind])
    types[f'{kind}@v2'] = put(cls(name=f'{kind}.Paged', version='v2'))
    s.remember(f'{kind}_type', f'{kind}.Paged@v2', types[f'{kind}@v2'])
    s.remember(f'{kind}_type', f'{kind}.Empty', put(cls(name=f'{kind}.Empty')))

  def write(kind, put, get, node):
    [id_] = put([node])
    s.remember(kind, node.name, id_)
    [stored] = get([id_])
    _wait_for_clock_past(stored.last_update_time_since_epoch)
    return id_

  def custom_values(node, i):  # every scalar kind, and fields that are set empty, on some nodes only
    if i % 2 == 0:
      node.external_id = f'{node.name}-ext'
      node.custom_properties['i'].int_value = -i
      node.custom_properties['s'].string_value = ''
      node.custom_properties['b'].bool_value = False
      node.custom_properties['st'].struct_value.update({'k': [i, 'v', None]})

  for i, p in enumerate(ARTIFACT_P):
    a = pb.Artifact(type_id=types['artifact'], name=f'a{i}', uri=f'mem://a{i}', state=pb.Artifact.LIVE)
    a.properties['p'].double_value = p
    custom_values(a, i)
    write('artifact', store.put_artifacts, store.get_artifacts_by_id, a)
  for i, state in enumerate(EXECUTION_STATES):
    e = pb.Execution(type_id=types['execution'], name=f'e{i}')
    custom_values(e, i)
    if state is not None:
      e.last_known_state = state
    e.properties['p'].double_value = ARTIFACT_P[i]
    write('execution', store.put_executions, store.get_executions_by_id, e)
  for i in range(4):
    c = pb.Context(type_id=types['context'], name=f'c{i}')
    custom_values(c, i)
    c.properties['p'].double_value = ARTIFACT_P[i]
    write('context', store.put_contexts, store.get_contexts_by_id, c)
  # One node of each kind in the types' version v2.
  write('artifact', store.put_artifacts, store.get_artifacts_by_id,
        pb.Artifact(type_id=types['artifact@v2'], name='av2'))
  write('execution', store.put_executions, store.get_executions_by_id,
        pb.Execution(type_id=types['execution@v2'], name='ev2'))
  write('context', store.put_contexts, store.get_contexts_by_id,
        pb.Context(type_id=types['context@v2'], name='cv2'))
  # c0 holds a0..a3 and e0..e3, c1 holds a4 and e4, c2 and c3 hold nothing.
  c0, c1 = s.ids[('context', 'c0')], s.ids[('context', 'c1')]
  links = [(c0, i) for i in range(4)] + [(c1, 4)]
  store.put_attributions_and_associations(
      [pb.Attribution(context_id=c, artifact_id=s.ids[('artifact', f'a{i}')]) for c, i in links],
      [pb.Association(context_id=c, execution_id=s.ids[('execution', f'e{i}')]) for c, i in links])
  for name in ('a3', 'a1'):  # last update order: a0 a2 a4 a3 a1
    [a] = store.get_artifacts_by_id([s.ids[('artifact', name)]])
    a.custom_properties['touched'].bool_value = True
    write('artifact', store.put_artifacts, store.get_artifacts_by_id, a)


@pytest.fixture(scope='module')
def stores():
  with tempfile.TemporaryDirectory(prefix='paging-differential-') as d:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = os.path.join(d, 'reference.db')
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    reference = Store('reference', mlmd.MetadataStore(config))
    with OurServer(os.path.join(d, 'ours.db'), d) as server:
      ours = Store('ours', server.client())
      populate(reference)
      populate(ours)
      yield reference, ours


# ------------------------------------------------------------------------------------------ comparing answers


def canon(message, s):
  """A message as plain data: only the fields that are present, record ids as names, timestamps as 'set', a page
  token as '' or 'token' (its bytes carry store-specific timestamps)."""
  out = {}
  for field, value in message.ListFields():
    if field.name in TIMESTAMPS:
      out[field.name] = 'set'
    elif field.name == 'next_page_token':
      out[field.name] = 'token' if value else ''
    elif field.message_type is not None and field.message_type.GetOptions().map_entry:
      out[field.name] = {k: canon(v, s) if hasattr(v, 'ListFields') else v for k, v in value.items()}
    elif field.label == field.LABEL_REPEATED:
      out[field.name] = [canon(v, s) if hasattr(v, 'ListFields') else v for v in value]
    elif field.message_type is not None:
      out[field.name] = canon(value, s)
    else:
      out[field.name] = value
  kind = {'Artifact': 'artifact', 'Execution': 'execution', 'Context': 'context'}.get(message.DESCRIPTOR.name)
  if kind and 'id' in out:
    out['id'] = s.names.get((kind, out['id']), f'unknown id {out["id"]}')
  if kind and 'type_id' in out:
    out['type_id'] = s.names.get((f'{kind}_type', out['type_id']), f'unknown type id {out["type_id"]}')
  return out


def outcome(answer, s):
  if isinstance(answer, errors.StatusError):
    return {'error': type(answer).__name__}
  return canon(answer, s)


def walk(s, method, request, limit=20):
  """Every answer of a listing, page after page, following this store's own tokens."""
  pages = []
  while True:
    answer = s.call(method, request)
    pages.append(answer)
    if isinstance(answer, errors.StatusError) or not answer.next_page_token:
      return pages
    assert len(pages) < limit, f'{s.name}: {method} does not stop paging'
    request = type(request).FromString(request.SerializeToString())
    request.options.next_page_token = answer.next_page_token


def assert_same_walk(stores, method, make_request):
  """Walks the listing on both stores and compares every page (first, middle, last)."""
  reference, ours = stores
  expected = [outcome(a, reference) for a in walk(reference, method, make_request(reference))]
  actual = [outcome(a, ours) for a in walk(ours, method, make_request(ours))]
  assert actual == expected, f'{method}: {make_request(ours)}'
  return expected


# ------------------------------------------------------------------------------------------ the requests

LISTINGS = {
    # method: (node kind, the field holding the nodes, how a request names its candidates)
    'GetArtifacts': ('artifact', 'artifacts', None),
    'GetExecutions': ('execution', 'executions', None),
    'GetContexts': ('context', 'contexts', None),
    'GetArtifactsByType': ('artifact', 'artifacts', 'type'),
    'GetExecutionsByType': ('execution', 'executions', 'type'),
    'GetContextsByType': ('context', 'contexts', 'type'),
    'GetArtifactsByContext': ('artifact', 'artifacts', 'context'),
    'GetExecutionsByContext': ('execution', 'executions', 'context'),
}


def request_for(method, s, candidates='main', options=None):
  """A request of `method` over the given candidates: 'main' (the paged type, or c0), 'empty' (a type without
  nodes, or c2 without links), 'unknown' (no such type or context), 'versioned' (the paged type's v2)."""
  kind, _, by = LISTINGS[method]
  request = getattr(svc, f'{method}Request')()
  if by == 'type':
    request.type_name = {'main': f'{kind}.Paged', 'empty': f'{kind}.Empty', 'unknown': 'no.such.type',
                         'versioned': f'{kind}.Paged'}[candidates]
    if candidates == 'versioned':
      request.type_version = 'v2'
  elif by == 'context':
    request.context_id = {'main': s.ids[('context', 'c0')], 'empty': s.ids[('context', 'c2')],
                          'unknown': 999_999}[candidates]
  if options is not None:
    request.options.CopyFrom(options)
  return request


def options(size=None, field=None, is_asc=None, filter_query=None, token=None):
  o = pb.ListOperationOptions()
  if size is not None:
    o.max_result_size = size
  if field is not None:
    o.order_by_field.field = field
  if is_asc is not None:
    o.order_by_field.is_asc = is_asc
  if filter_query is not None:
    o.filter_query = filter_query
  if token is not None:
    o.next_page_token = token
  return o


WALKS = {
    'no options': None,
    'empty options': options(),
    'pages of 2 by id': options(size=2),
    'pages of 2 by id, descending': options(size=2, field=Order.ID, is_asc=False),
    'pages of 1 by create time, descending': options(size=1, field=Order.CREATE_TIME, is_asc=False),
    'pages of 2 by last update time': options(size=2, field=Order.LAST_UPDATE_TIME, is_asc=True),
    'pages of 3 by last update time, descending': options(size=3, field=Order.LAST_UPDATE_TIME, is_asc=False),
    'a page of 100': options(size=100),
    'filter, pages of 1': options(size=1, filter_query='properties.p.double_value < 3.0'),
    'filter on name, pages of 2 descending': options(size=2, is_asc=False, filter_query="name != 'a1' AND id > 0"),
    'filter on a custom property or external id, pages of 1':
        options(size=1, filter_query="custom_properties.i.int_value <= -2 OR external_id = 'a0-ext'"),
    'filter matching nothing': options(size=2, filter_query="name = 'nothing'"),
}


@pytest.mark.parametrize('method', sorted(LISTINGS))
@pytest.mark.parametrize('case', sorted(WALKS))
def test_same_pages(stores, method, case):
  pages = assert_same_walk(stores, method, lambda s: request_for(method, s, options=WALKS[case]))
  _, field, _ = LISTINGS[method]
  if 'nothing' not in case:
    assert all(p.get(field) for p in pages), f'{method} {case}: a page without nodes proves little: {pages}'
  if case.startswith('pages of'):
    assert len(pages) >= 2, f'{method} {case}: the walk should take several pages'


@pytest.mark.parametrize('method', sorted(LISTINGS))
def test_same_page_when_one_page_holds_every_row(stores, method):
  reference, _ = stores
  field = LISTINGS[method][1]
  rows = len(getattr(reference.call(method, request_for(method, reference)), field))
  [page] = assert_same_walk(stores, method, lambda s: request_for(method, s, options=options(size=rows)))
  assert len(page[field]) == rows


def test_last_page_token_as_the_reference(stores):
  """The issue's example, spelt out: a listing by type with options answers the token present and empty on its
  last page; GetExecutions and the listings by context leave it unset."""
  reference, ours = stores
  for s in (reference, ours):
    by_type = s.call('GetExecutionsByType', request_for('GetExecutionsByType', s, options=options(size=10)))
    assert by_type.HasField('next_page_token') and by_type.next_page_token == '', s.name
    for method in ('GetExecutions', 'GetExecutionsByContext'):
      last = s.call(method, request_for(method, s, options=options(size=10)))
      assert not last.HasField('next_page_token'), f'{s.name} {method}'


BAD_OPTIONS = {
    'page size 0': options(size=0),
    'negative page size': options(size=-3),
    'unparsable filter': options(size=2, filter_query='name = '),
    'unknown filter field': options(size=2, filter_query='no_such_field = 1'),
    'undecodable token': options(size=2, token='%%% not a token %%%'),
    'unsupported order field': options(size=2, field=Order.FIELD_UNSPECIFIED),
}


@pytest.mark.parametrize('method', sorted(LISTINGS))
@pytest.mark.parametrize('case', sorted(BAD_OPTIONS))
def test_same_status_for_bad_options(stores, method, case):
  assert_same_walk(stores, method, lambda s: request_for(method, s, options=BAD_OPTIONS[case]))


@pytest.mark.parametrize('method', sorted(LISTINGS))
def test_same_status_for_a_token_of_another_order(stores, method):
  def continued_by_create_time(s):
    first = s.call(method, request_for(method, s, options=options(size=1)))
    assert first.next_page_token, f'{s.name} {method}: the first page should have a token'
    return request_for(method, s, options=options(size=1, field=Order.CREATE_TIME, token=first.next_page_token))

  assert assert_same_walk(stores, method, continued_by_create_time) == [{'error': 'InvalidArgumentError'}]


OTHER_OPTIONS = {'no options': None, 'pages of 2': options(size=2), **BAD_OPTIONS}
OTHER_CANDIDATES = [(m, c) for m, (_, _, by) in sorted(LISTINGS.items()) if by
                    for c in (('empty', 'unknown', 'versioned') if by == 'type' else ('empty', 'unknown'))]


@pytest.mark.parametrize('method,candidates', OTHER_CANDIDATES)
@pytest.mark.parametrize('case', sorted(OTHER_OPTIONS))
def test_same_answer_for_other_candidates(stores, method, candidates, case):
  """A type without nodes, a context without links, an unknown type or context, a type's other version; with bad
  options too (Google's store answers before it reads them when there is nothing to list)."""
  assert_same_walk(stores, method, lambda s: request_for(method, s, candidates, OTHER_OPTIONS[case]))


@pytest.mark.parametrize('method', ['GetArtifacts', 'GetExecutionsByType', 'GetArtifactsByContext'])
def test_tokens_are_interchangeable_in_id_order(stores, method):
  """The same records have the same ids in both stores, so a token of one continues the listing on the other."""
  reference, ours = stores
  assert reference.ids == ours.ids, 'both stores should have given the same ids'

  def second_page(s, token):
    return outcome(s.call(method, request_for(method, s, options=options(size=2, token=token))), s)

  first_token = {s.name: s.call(method, request_for(method, s, options=options(size=2))).next_page_token
                 for s in stores}
  for s in stores:
    assert first_token[s.name], f'{s.name} {method}: the first page should have a token'
    assert second_page(s, first_token['reference']) == second_page(s, first_token['ours']), s.name


def test_every_list_rpc_is_compared():
  """Every RPC whose request carries ListOperationOptions (at any depth) is compared above, except GetLineageGraph,
  which Google's store does not implement (below)."""
  service = svc.DESCRIPTOR.services_by_name['MetadataStoreService']

  def carries_options(descriptor, seen=()):
    if descriptor.full_name == pb.ListOperationOptions.DESCRIPTOR.full_name:
      return True
    return any(f.message_type is not None and f.message_type not in seen and
               carries_options(f.message_type, seen + (descriptor,)) for f in descriptor.fields)

  paged = {m.name for m in service.methods if carries_options(m.input_type)}
  assert paged == set(LISTINGS) | {'GetLineageGraph'}


# ------------------------------------------------------------------------------------------ documented deviations


def test_get_lineage_graph_is_not_in_the_reference_and_answered_by_ours(stores):
  """Google's store does not implement GetLineageGraph (its server answers UNIMPLEMENTED; the package does not even
  bind it in-process), so there is nothing to compare: ours answers it, filtered by its ListOperationOptions."""
  reference, ours = stores
  request = svc.GetLineageGraphRequest()
  request.options.artifacts_options.filter_query = "name = 'a0'"
  with pytest.raises(AttributeError, match='GetLineageGraph'):
    reference.call('GetLineageGraph', request)
  graph = ours.call('GetLineageGraph', request)
  assert not isinstance(graph, errors.StatusError), graph
  assert [ours.names[('artifact', a.id)] for a in graph.subgraph.artifacts] == ['a0']


def _executions(s, method, filter_query):
  answer = s.call(method, request_for(method, s, options=options(size=100, filter_query=filter_query)))
  if isinstance(answer, errors.StatusError):
    return answer
  return sorted(s.names[('execution', e.id)] for e in answer.executions)


@pytest.mark.parametrize('method', ['GetExecutions', 'GetExecutionsByType', 'GetExecutionsByContext'])
def test_enum_predicate_under_not_or(stores, method):
  """Google's store refuses this valid filter; ours answers it, with the union of what the reference answers to each
  of its three parts (each of which it accepts alone)."""
  reference, ours = stores
  refused = _executions(reference, method, ENUM_UNDER_NOT_OR)
  assert isinstance(refused, errors.InvalidArgumentError)
  assert 'Query cannot be rewritten successfully for matched enum predicate' in str(refused)
  parts = ['last_known_state = COMPLETE', 'NOT (properties.p.double_value < 2.0)', 'NOT (last_known_state = COMPLETE)']
  expected = sorted(set().union(*(_executions(reference, method, p) for p in parts)))
  assert expected, 'the filter should match something'
  assert _executions(ours, method, ENUM_UNDER_NOT_OR) == expected
