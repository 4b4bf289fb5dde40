"""The unmodified ml-metadata Python client over mTLS against a server that takes client certificates as identities.

usage: access_mlmd_client.py HOST:PORT PKI_DIR
The policy makes CN=alice a writer and CN=bob a reader; CN=carol holds no role. Prints one TAP-like line per check
and a final "N passed, M failed".
"""
import sys

from ml_metadata.errors import PermissionDeniedError
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

address, pki = sys.argv[1], sys.argv[2]
host, port = address.rsplit(":", 1)
passed = failed = 0


def check(what, ok):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")


def store_as(who):
    read = lambda name: open(f"{pki}/{name}").read()
    config = pb.MetadataStoreClientConfig(host=host, port=int(port))
    config.ssl_config.client_key = read(f"{who}.key")
    config.ssl_config.server_cert = read(f"{who}.pem")
    config.ssl_config.custom_ca = read("ca.pem")
    return metadata_store.MetadataStore(config)


alice, bob, carol = store_as("alice"), store_as("bob"), store_as("carol")
type_id = alice.put_artifact_type(pb.ArtifactType(name="cert-written"))
check("alice (writer by her certificate) writes", type_id > 0)
check("bob (reader) reads what alice wrote", [t.name for t in bob.get_artifact_types()] == ["cert-written"])
try:
    bob.put_artifact_type(pb.ArtifactType(name="by-bob"))
    check("bob (reader) cannot write", False)
except PermissionDeniedError:
    check("bob (reader) cannot write: PERMISSION_DENIED", True)
try:
    carol.get_artifact_types()
    check("carol (no role) cannot read", False)
except PermissionDeniedError:
    check("carol (no role) cannot read: PERMISSION_DENIED", True)
check("nothing of bob's was stored", [t.name for t in alice.get_artifact_types()] == ["cert-written"])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
