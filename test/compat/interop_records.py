"""Records every interop suite writes and compares: types, nodes with every Value kind, events with paths, links and
a parent context (write_records), and everything a client can read back in a comparable form (snapshot).
Shared by test_postgres_interop.py and test_mysql_interop.py.
"""
from google.protobuf import any_pb2, struct_pb2

from ml_metadata.proto import metadata_store_pb2 as pb


def struct_value():
  s = struct_pb2.Struct()
  s.update({'num': 1.5, 'text': 'ünïcødé ✓', 'flag': True, 'nothing': None, 'list': [1, 'two', {'k': 'v'}]})
  return s


def any_value():
  a = any_pb2.Any()
  a.Pack(pb.Artifact(name='packed', uri='s3://b/k', custom_properties={'x': pb.Value(int_value=7)}))
  return a


def write_records(store, tag, text='héllo "quoted" \'single\' new\nline', v10_values=True):
  """Writes types, nodes with every Value kind, events with paths, links and a parent context; returns ids.

  Without v10_values, no proto or bool values (schema 10's): upstream's downgrade leaves their rows without a value,
  which its own reader then refuses.
  """
  at = pb.ArtifactType(name='Model_' + tag, version='v1', description='d',
                       base_type=pb.ArtifactType.MODEL)
  for k, v in {'i': pb.INT, 'd': pb.DOUBLE, 's': pb.STRING, 'st': pb.STRUCT, 'p': pb.PROTO, 'b': pb.BOOLEAN}.items():
    at.properties[k] = v
  at_id = store.put_artifact_type(at)
  et_id = store.put_execution_type(pb.ExecutionType(name='Trainer_' + tag, properties={'n': pb.INT}))
  ct_id = store.put_context_type(pb.ContextType(name='Run_' + tag))

  a = pb.Artifact(type_id=at_id, uri='s3://model/' + tag, name='model-' + tag, state=pb.Artifact.LIVE,
                  external_id='ext-a-' + tag)
  a.properties['i'].int_value = -2**31
  a.properties['d'].double_value = 0.1 + 0.2
  a.properties['s'].string_value = text
  a.properties['st'].struct_value.CopyFrom(struct_value())
  if v10_values:
    a.properties['p'].proto_value.CopyFrom(any_value())
    a.properties['b'].bool_value = True
    a.custom_properties['c_b'].bool_value = False
  a.custom_properties['c_i'].int_value = 2**31 - 1
  a2 = pb.Artifact(type_id=at_id, uri='s3://data/' + tag)
  art_ids = store.put_artifacts([a, a2])

  e = pb.Execution(type_id=et_id, name='train-' + tag, last_known_state=pb.Execution.COMPLETE)
  e.properties['n'].int_value = 3
  ctx = pb.Context(type_id=ct_id, name='run-' + tag)
  ctx.custom_properties['owner'].string_value = 'me'
  parent = pb.Context(type_id=ct_id, name='parent-' + tag)
  inp = pb.Event(type=pb.Event.INPUT)
  for step in ('a', 0, 'b', 7):
    s = inp.path.steps.add()
    if isinstance(step, int):
      s.index = step
    else:
      s.key = step
  out = pb.Event(type=pb.Event.OUTPUT)
  out.path.steps.add().key = 'out'
  exec_id, _, ctx_ids = store.put_execution(e, [(store.get_artifacts_by_id([art_ids[1]])[0], inp),
                                               (store.get_artifacts_by_id([art_ids[0]])[0], out)], [ctx])
  parent_id = store.put_contexts([parent])[0]
  store.put_parent_contexts([pb.ParentContext(child_id=ctx_ids[0], parent_id=parent_id)])
  return {'artifacts': art_ids, 'execution': exec_id, 'contexts': [ctx_ids[0], parent_id]}


def snapshot(store):
  """Everything a client can read, in a comparable form."""
  def by_id(items):
    return sorted((x.SerializeToString(deterministic=True) for x in items))
  arts = store.get_artifacts()
  execs = store.get_executions()
  ctxs = store.get_contexts()
  events = store.get_events_by_execution_ids([e.id for e in execs])
  paths = sorted((ev.artifact_id, ev.execution_id, ev.type, ev.path.SerializeToString(deterministic=True)) for ev in events)
  return {
      'artifact_types': by_id(store.get_artifact_types()),
      'execution_types': by_id(store.get_execution_types()),
      'context_types': by_id(store.get_context_types()),
      'artifacts': by_id(arts),
      'executions': by_id(execs),
      'contexts': by_id(ctxs),
      'events': paths,
      'attributions': sorted(a.id for c in ctxs for a in store.get_artifacts_by_context(c.id)),
      'associations': sorted(e.id for c in ctxs for e in store.get_executions_by_context(c.id)),
      'parents': sorted(p.id for c in ctxs for p in store.get_parent_contexts_by_context(c.id)),
  }
