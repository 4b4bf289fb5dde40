"""Compares the descriptors compiled from our proto/ with the ones shipped in the ml-metadata wheel.

Usage: python compare_descriptors.py IMAGE.binpb
IMAGE is a FileDescriptorSet built by `buf build -o`. Exits non-zero and prints every difference.
Source info, json_name and buf's image metadata are ignored (they are not on the wire); everything else must be equal.
"""
import sys

from google.protobuf import descriptor_pb2
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2


def normalise(fdp: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
  copy = descriptor_pb2.FileDescriptorProto()
  copy.CopyFrom(fdp)
  copy.ClearField('source_code_info')
  # buf attaches its own image metadata (field 8042) as an unknown field; it is not part of the descriptor.
  copy.DiscardUnknownFields()

  def strip_messages(messages):
    for message in messages:
      for field in list(message.field) + list(message.extension):
        field.ClearField('json_name')
      strip_messages(message.nested_type)

  strip_messages(copy.message_type)
  for ext in copy.extension:
    ext.ClearField('json_name')
  return copy


def main() -> int:
  image = descriptor_pb2.FileDescriptorSet()
  with open(sys.argv[1], 'rb') as f:
    image.ParseFromString(f.read())
  ours = {f.name: f for f in image.file}
  failures = 0
  for module in (metadata_store_pb2, metadata_store_service_pb2):
    theirs = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(theirs)
    if theirs.name not in ours:
      print(f'MISSING file {theirs.name}')
      failures += 1
      continue
    a, b = normalise(ours[theirs.name]), normalise(theirs)
    if a != b:
      failures += 1
      print(f'DIFFERENT {theirs.name}')
      import difflib
      for line in difflib.unified_diff(str(b).splitlines(), str(a).splitlines(), 'ml-metadata wheel', 'ours', lineterm='', n=2):
        print(line)
    else:
      print(f'IDENTICAL {theirs.name}: {len(b.message_type)} messages, {len(b.enum_type)} enums, '
            f'{sum(len(s.method) for s in b.service)} methods')
  return 1 if failures else 0


if __name__ == '__main__':
  sys.exit(main())
